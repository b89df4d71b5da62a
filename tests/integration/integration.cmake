# Integration tests: the real syncmgrd ($SYNCMGRD) on a scratch ipc:// socket,
# real client processes.  Every program links the harness (tests/harness.c),
# which speaks the wire protocol itself for raw-socket cases: hence sm_proto
# (codec, auth) and nng next to the client library.
set(SM_IT_LIBS syncmgr_static sm_proto nng::nng Threads::Threads)

sm_add_test(it_basic SOURCES integration/test_basic.c harness.c LIBS ${SM_IT_LIBS} TIMEOUT 120)
sm_add_test(it_auth SOURCES integration/test_auth.c harness.c LIBS ${SM_IT_LIBS} TIMEOUT 120)
sm_add_test(it_lock SOURCES integration/test_lock.c harness.c LIBS ${SM_IT_LIBS} TIMEOUT 300)
sm_add_test(it_hostile SOURCES integration/test_hostile.c harness.c LIBS ${SM_IT_LIBS} TIMEOUT 300)
# the same hostile peers against the nng ipc engine (and its bug-1518 guard)
add_test(NAME it_hostile_nng COMMAND it_hostile)
set_tests_properties(it_hostile_nng PROPERTIES TIMEOUT 300
  ENVIRONMENT "SYNCMGRD=$<TARGET_FILE:syncmgrd>;CK_DEFAULT_TIMEOUT=300;SM_TEST_IPC_ENGINE=nng")
sm_add_test(it_examples SOURCES integration/test_examples.c harness.c LIBS ${SM_IT_LIBS} TIMEOUT 240)
# the examples are run from $SM_EXAMPLES_DIR: build them with the test
add_dependencies(it_examples examples)
sm_add_test(it_ipc_direct SOURCES integration/test_ipc_direct.c harness.c LIBS ${SM_IT_LIBS} TIMEOUT 240)
