# libsyncmgr unit tests (no network, no broker)
sm_add_test(unit_client_values SOURCES unit/test_client_values.c LIBS syncmgr_static sm_proto)
target_include_directories(unit_client_values PRIVATE ${CMAKE_SOURCE_DIR}/libclient)
