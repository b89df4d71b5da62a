# Queue / JoinableQueue on the real broker: real processes, timeouts, the
# queue examples (run from $SM_EXAMPLES_DIR, so built with the test).
sm_add_test(it_queue SOURCES integration/test_queue.c harness.c
  LIBS syncmgr_static sm_proto nng::nng Threads::Threads TIMEOUT 300)
add_dependencies(it_queue examples)
