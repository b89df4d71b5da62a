# The event ring and watch.next (broker/events.c): requests through
# dispatch() on a core with sessions, no network.
sm_add_test(unit_events SOURCES unit/test_events.c ${SM_PARK_CALL} LIBS broker_core)
