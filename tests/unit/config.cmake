# syncmgrd's settings: config.c and paths.c called directly, and the real
# $SYNCMGRD for end-to-end cases (hence the harness and the client library).
sm_add_test(unit_config SOURCES unit/test_config.c harness.c
  LIBS broker_core syncmgr_static sm_proto nng::nng Threads::Threads TIMEOUT 180)
