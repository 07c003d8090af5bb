# cmake -DNPM=<npm> -DSRC=<tests/spec> -DDIR=<dir in the build tree> -P npm_ci.cmake
# Installs the pinned npm packages of tests/spec (package-lock.json) into DIR/node_modules with
# `npm ci`; skipped when DIR already holds an install of the same lock file. Any failure is
# fatal: the tests that need the parser fail, they are never skipped.
if(NOT NPM OR NPM MATCHES "NOTFOUND")
  message(FATAL_ERROR "npm not found: install Node.js 18+ with npm to validate the AsyncAPI documents")
endif()
if(NOT SRC OR NOT DIR)
  message(FATAL_ERROR "npm_ci.cmake: SRC and DIR are required")
endif()
file(SHA256 "${SRC}/package-lock.json" lock_hash)
file(SHA256 "${SRC}/package.json" package_hash)
set(stamp "${DIR}/node_modules/.faststream-lock.sha256")
if(EXISTS "${stamp}")
  file(READ "${stamp}" old_hash)
  if(old_hash STREQUAL "${lock_hash}${package_hash}")
    message(STATUS "npm packages up to date: ${DIR}/node_modules")
    return()
  endif()
endif()
file(MAKE_DIRECTORY "${DIR}")
file(COPY "${SRC}/package.json" "${SRC}/package-lock.json" DESTINATION "${DIR}")
# --ignore-scripts: nothing from the registry runs here.
execute_process(
  COMMAND "${NPM}" ci --ignore-scripts --no-audit --no-fund
  WORKING_DIRECTORY "${DIR}"
  RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "npm ci in ${DIR} failed (${rc})")
endif()
file(WRITE "${stamp}" "${lock_hash}${package_hash}")
