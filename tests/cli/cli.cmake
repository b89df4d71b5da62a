# syncmgrctl: the built tool ($SYNCMGRCTL) against the real broker
# (ctl_run.c starts it), and its msgpack <-> JSON spelling
# (tools/ctl_json.c, compiled into the test) on its own.
set(SM_CTL_TEST_LIBS syncmgr_static sm_proto PkgConfig::JANSSON PkgConfig::SODIUM nng::nng
  Threads::Threads m)
sm_add_test(cli_ctl_json SOURCES cli/test_ctl_json.c harness.c ${CMAKE_SOURCE_DIR}/tools/ctl_json.c
  LIBS ${SM_CTL_TEST_LIBS})
foreach(t ctl ctl_admin ctl_watch)
  sm_add_test(cli_${t} SOURCES cli/test_${t}.c cli/ctl_run.c harness.c
    ${CMAKE_SOURCE_DIR}/tools/ctl_json.c LIBS ${SM_CTL_TEST_LIBS} TIMEOUT 180)
  # the test runs the binary: build it first
  add_dependencies(cli_${t} syncmgrctl)
endforeach()
foreach(t ctl_json ctl ctl_admin ctl_watch)
  target_include_directories(cli_${t} PRIVATE ${CMAKE_SOURCE_DIR}/tools)
endforeach()
# syncmgr-bench ($SYNCMGR_BENCH): each workload briefly, --json checked.
sm_add_test(cli_bench SOURCES cli/test_bench.c cli/ctl_run.c harness.c
  LIBS ${SM_CTL_TEST_LIBS} TIMEOUT 300)
add_dependencies(cli_bench syncmgr-bench)
set_property(TEST cli_bench APPEND PROPERTY ENVIRONMENT
  "SYNCMGR_BENCH=${CMAKE_BINARY_DIR}/tools/syncmgr-bench")
