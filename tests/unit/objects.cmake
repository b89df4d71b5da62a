# Object types: their handlers run on hand-made requests (unit_call.c),
# no broker and no network.
sm_add_test(unit_obj_dict SOURCES unit/test_obj_dict.c unit/unit_call.c LIBS broker_core)
sm_add_test(unit_dict_table SOURCES unit/test_dict_table.c LIBS broker_core)
sm_add_test(unit_obj_list SOURCES unit/test_obj_list.c unit/unit_call.c LIBS broker_core)
# The core: dispatch, registry, sessions, parked requests, the lock.
sm_add_test(unit_core SOURCES unit/test_core.c ${SM_PARK_CALL} LIBS broker_core)
