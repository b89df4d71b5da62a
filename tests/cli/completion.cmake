# The bash completion of syncmgrctl (packaging/bash-completion/syncmgrctl):
# sourced with a fake syncmgrctl on PATH, then again with the built tool's
# own --help ($SYNCMGRCTL) so that it follows the command table.
find_program(SM_BASH bash)
if(SM_BASH)
  add_test(NAME cli_completion
    COMMAND ${SM_BASH} ${CMAKE_CURRENT_LIST_DIR}/test_completion.sh
      ${CMAKE_SOURCE_DIR}/packaging/bash-completion/syncmgrctl)
  set_tests_properties(cli_completion PROPERTIES TIMEOUT 60
    ENVIRONMENT "SYNCMGRCTL=${CMAKE_BINARY_DIR}/tools/syncmgrctl")
endif()
