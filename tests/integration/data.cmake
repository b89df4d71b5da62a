# Value, Array, Namespace and Pipe end to end: the real syncmgrd, real
# client processes, and the pipe_pingpong example (run from $SM_EXAMPLES_DIR).
sm_add_test(it_data SOURCES integration/test_data.c harness.c
  LIBS syncmgr_static sm_proto nng::nng Threads::Threads TIMEOUT 300)
add_dependencies(it_data examples)
