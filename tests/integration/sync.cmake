# Semaphore, Event and Barrier on the real broker, SIGKILLed clients, and
# the start_together example (run from $SM_EXAMPLES_DIR: built first).
sm_add_test(it_sync SOURCES integration/test_sync.c harness.c
  LIBS syncmgr_static sm_proto nng::nng Threads::Threads TIMEOUT 300)
add_dependencies(it_sync examples)
