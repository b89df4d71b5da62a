# 10 000 parked requests across every blocking type, then all released.
sm_add_test(it_many SOURCES integration/test_many.c harness.c
  LIBS syncmgr_static sm_proto nng::nng Threads::Threads TIMEOUT 450)
# 10 000 threads: alone, so that it does not starve the tests beside it
set_tests_properties(it_many PROPERTIES RUN_SERIAL TRUE)
