# The journal and snapshots in a core without a network (park_call.c).
sm_add_test(unit_persist SOURCES unit/test_persist.c ${SM_PARK_CALL} LIBS broker_core)
