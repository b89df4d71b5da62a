# The broker's own ipc:// engine (--ipc-engine direct) against every kind of client.
sm_add_test(it_ipc_server SOURCES integration/test_ipc_server.c harness.c
  LIBS syncmgr_static sm_proto nng::nng Threads::Threads TIMEOUT 300)
