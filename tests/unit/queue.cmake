# Queue / JoinableQueue in the broker core: parked getters, putters and
# joiners through dispatch(), replies caught by the send_reply hook (park_call.c).
sm_add_test(unit_obj_queue SOURCES unit/test_obj_queue.c ${SM_PARK_CALL} LIBS broker_core)
