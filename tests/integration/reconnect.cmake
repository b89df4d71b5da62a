# The library after its broker restarts (SIGKILL, same address and key).
sm_add_test(it_reconnect SOURCES integration/test_reconnect.c harness.c
  LIBS syncmgr_static sm_proto nng::nng Threads::Threads TIMEOUT 300)
# The same over nng's REQ socket (ipc:// is the direct transport by default),
# without the threaded cases (see main() in test_reconnect.c).
get_test_property(it_reconnect ENVIRONMENT SM_RECONNECT_ENV)
add_test(NAME it_reconnect_nng COMMAND it_reconnect)
set_tests_properties(it_reconnect_nng PROPERTIES TIMEOUT 300
  ENVIRONMENT "${SM_RECONNECT_ENV};SYNCMGR_IPC_NNG=1")
