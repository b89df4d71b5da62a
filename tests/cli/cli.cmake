# syncmgrctl: the built tool ($SYNCMGRCTL) against the real broker, and its
# msgpack <-> JSON spelling (tools/ctl_json.c, compiled into the test).
sm_add_test(cli_ctl SOURCES cli/test_ctl.c harness.c ${CMAKE_SOURCE_DIR}/tools/ctl_json.c
  LIBS syncmgr_static sm_proto PkgConfig::JANSSON PkgConfig::SODIUM nng::nng Threads::Threads m
  TIMEOUT 180)
target_include_directories(cli_ctl PRIVATE ${CMAKE_SOURCE_DIR}/tools)
# the test runs the binary: build it first
add_dependencies(cli_ctl syncmgrctl)
