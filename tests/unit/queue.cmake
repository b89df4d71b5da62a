# Queue / JoinableQueue in the broker core: parked getters, putters and
# joiners through dispatch(), replies caught by the send_reply hook.
sm_add_test(unit_obj_queue SOURCES unit/test_obj_queue.c unit/unit_call.c LIBS broker_core)
