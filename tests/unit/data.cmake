# Data types: Value, Array, Namespace, Pipe.  Handlers run on hand-made
# requests (unit_call.c); the pipe's parked requests go through dispatch on
# a core of its own (park_call.c).  No broker and no network.
sm_add_test(unit_obj_value SOURCES unit/test_obj_value.c unit/unit_call.c LIBS broker_core)
sm_add_test(unit_obj_array SOURCES unit/test_obj_array.c unit/unit_call.c LIBS broker_core)
sm_add_test(unit_obj_namespace SOURCES unit/test_obj_namespace.c unit/unit_call.c LIBS broker_core)
sm_add_test(unit_obj_pipe SOURCES unit/test_obj_pipe.c ${SM_PARK_CALL} LIBS broker_core)
