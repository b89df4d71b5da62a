# The memory limit's accounting (broker/blob.c), no network.
sm_add_test(unit_blob SOURCES unit/test_blob.c LIBS broker_core)
