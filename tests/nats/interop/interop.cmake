# Interop with Python FastStream on a real nats-server: run_interop.py starts its own server
# (-js, free ports, a private directory), runs the C++ peer (faststream_nats_interop_peer) and
# a FastStream 0.7.8 app (py_peer.py) both ways over a core subject and two JetStream
# consumers (push, pull): typed publishes and RPC. FastStream and every dependency are pinned
# in requirements.lock and installed into a venv in the build tree; a failed install fails
# the tests (never skips). Not in the sanitizer trees.
if(NOT FASTSTREAM_SANITIZE AND NOT FASTSTREAM_TSAN)
  set(_nats_interop_dir ${CMAKE_CURRENT_LIST_DIR})
  add_executable(faststream_nats_interop_peer ${_nats_interop_dir}/cpp_peer.cpp)
  target_link_libraries(faststream_nats_interop_peer PRIVATE faststream_nats
                                                             faststream_project_options)

  find_program(FASTSTREAM_PYTHON3 NAMES python3 REQUIRED)
  # Not REQUIRED: without a nats-server the test fails at run time (it never skips).
  find_program(FASTSTREAM_NATS_SERVER NAMES nats-server PATHS /usr/sbin /usr/local/sbin)
  if(NOT FASTSTREAM_NATS_SERVER)
    set(FASTSTREAM_NATS_SERVER nats-server)
  endif()
  set(_nats_interop_venv ${CMAKE_CURRENT_BINARY_DIR}/interop_venv)
  add_test(NAME NatsInteropVenv
           COMMAND ${CMAKE_COMMAND} -DPYTHON=${FASTSTREAM_PYTHON3} -DVENV=${_nats_interop_venv}
                   -DLOCK=${_nats_interop_dir}/requirements.lock
                   -P ${PROJECT_SOURCE_DIR}/tests/codec/make_venv.cmake)
  set_tests_properties(NatsInteropVenv PROPERTIES FIXTURES_SETUP nats_interop_venv
                                                  LABELS "nats;interop" TIMEOUT 300)
  add_test(NAME NatsInteropPythonFastStream
           COMMAND ${_nats_interop_venv}/bin/python ${_nats_interop_dir}/run_interop.py
                   $<TARGET_FILE:faststream_nats_interop_peer> ${_nats_interop_dir}/py_peer.py
                   ${FASTSTREAM_NATS_SERVER})
  set_tests_properties(NatsInteropPythonFastStream PROPERTIES
                       FIXTURES_REQUIRED nats_interop_venv LABELS "nats;interop" TIMEOUT 180)
endif()
