# Client processes SIGKILLed at random in lock/rlock/semaphore/queue/barrier/
# condition use: afterwards nothing held, nothing parked, everything works.
sm_add_test(it_faults SOURCES integration/test_faults.c harness.c
  LIBS syncmgr_static sm_proto nng::nng Threads::Threads TIMEOUT 300)
