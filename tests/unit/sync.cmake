# Semaphore, Event and Barrier: requests through dispatch() on a core with
# sessions and no network; replies of parked requests caught (park_call.c).
foreach(t sem event barrier)
  sm_add_test(unit_obj_${t} SOURCES unit/test_obj_${t}.c ${SM_PARK_CALL} LIBS broker_core)
endforeach()
