# Every configured broker limit, hit against the real broker (test_limits.c).
sm_add_test(it_limits SOURCES integration/test_limits.c harness.c
  LIBS syncmgr_static sm_proto nng::nng Threads::Threads TIMEOUT 240)
