# 256 client processes x mixed operations for a bounded time on one broker,
# exact invariants at the end; alone, so that its figures mean something.
sm_add_test(it_load SOURCES integration/test_load.c harness.c
  LIBS syncmgr_static sm_proto nng::nng Threads::Threads TIMEOUT 900)
set_tests_properties(it_load PROPERTIES RUN_SERIAL TRUE)
