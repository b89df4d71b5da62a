# RLock and Condition with real processes.
sm_add_test(it_cond SOURCES integration/test_cond.c harness.c
  LIBS syncmgr_static sm_proto nng::nng Threads::Threads TIMEOUT 180)
