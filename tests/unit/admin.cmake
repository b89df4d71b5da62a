# The inspection ops (broker/admin.c) and the read-only key (session.c):
# requests through dispatch() on a core with sessions, no network.
sm_add_test(unit_admin SOURCES unit/test_admin.c ${SM_PARK_CALL} LIBS broker_core)
