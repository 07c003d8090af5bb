# Interop with Python FastStream on a real redis-server: run_interop.py starts its own server,
# runs the C++ peer (faststream_redis_interop_peer) and a FastStream 0.7.8 app (py_peer.py)
# both ways over a channel, a list and a stream. FastStream and every dependency are pinned
# in requirements.lock and installed into a venv in the build tree; a failed install fails
# the tests (never skips). Not in the sanitizer trees.
if(NOT FASTSTREAM_SANITIZE AND NOT FASTSTREAM_TSAN)
  set(_interop_dir ${CMAKE_CURRENT_LIST_DIR})
  add_executable(faststream_redis_interop_peer ${_interop_dir}/cpp_peer.cpp)
  target_link_libraries(faststream_redis_interop_peer PRIVATE faststream_redis
                                                              faststream_project_options)

  find_program(FASTSTREAM_PYTHON3 NAMES python3 REQUIRED)
  set(_interop_venv ${CMAKE_CURRENT_BINARY_DIR}/interop_venv)
  add_test(NAME RedisInteropVenv
           COMMAND ${CMAKE_COMMAND} -DPYTHON=${FASTSTREAM_PYTHON3} -DVENV=${_interop_venv}
                   -DLOCK=${_interop_dir}/requirements.lock
                   -P ${PROJECT_SOURCE_DIR}/tests/codec/make_venv.cmake)
  set_tests_properties(RedisInteropVenv PROPERTIES FIXTURES_SETUP redis_interop_venv
                                                   LABELS "redis;interop" TIMEOUT 300)
  add_test(NAME RedisInteropPythonFastStream
           COMMAND ${_interop_venv}/bin/python ${_interop_dir}/run_interop.py
                   $<TARGET_FILE:faststream_redis_interop_peer> ${_interop_dir}/py_peer.py)
  set_tests_properties(RedisInteropPythonFastStream PROPERTIES
                       FIXTURES_REQUIRED redis_interop_venv LABELS "redis;interop" TIMEOUT 180)
endif()
