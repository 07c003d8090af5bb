# cmake -DPYTHON=python3 -DVENV=<dir> -DLOCK=<requirements.lock> -P make_venv.cmake
# Creates (or refreshes, when the lock file changed) the venv used by the schema agreement test.
# Any failure is fatal: the test fails, it is never skipped.
if(NOT PYTHON OR NOT VENV OR NOT LOCK)
  message(FATAL_ERROR "make_venv.cmake: PYTHON, VENV and LOCK are required")
endif()
file(SHA256 "${LOCK}" lock_hash)
set(stamp "${VENV}/faststream-lock.sha256")
if(EXISTS "${stamp}" AND EXISTS "${VENV}/bin/python")
  file(READ "${stamp}" old_hash)
  if(old_hash STREQUAL lock_hash)
    message(STATUS "venv up to date: ${VENV}")
    return()
  endif()
endif()
file(REMOVE_RECURSE "${VENV}")
execute_process(COMMAND "${PYTHON}" -m venv "${VENV}" RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "python3 -m venv ${VENV} failed (${rc})")
endif()
execute_process(
  COMMAND "${VENV}/bin/python" -m pip install --disable-pip-version-check --no-input --no-deps
          -r "${LOCK}"
  RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "pip install -r ${LOCK} failed (${rc})")
endif()
execute_process(COMMAND "${VENV}/bin/python" -m pip check RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "pip check failed: ${LOCK} does not pin every dependency")
endif()
file(WRITE "${stamp}" "${lock_hash}")
