# systemd's notify protocol from the real syncmgrd (skipped, exit 77, when it
# is built without libsystemd).
sm_add_test(it_notify SOURCES integration/test_notify.c harness.c
  LIBS syncmgr_static sm_proto nng::nng Threads::Threads TIMEOUT 120)
target_compile_definitions(it_notify PRIVATE SM_HAVE_SYSTEMD=$<BOOL:${SM_HAVE_SYSTEMD}>)
set_tests_properties(it_notify PROPERTIES SKIP_RETURN_CODE 77)
