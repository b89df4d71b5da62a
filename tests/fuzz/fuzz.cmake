# Fuzz targets (tests/fuzz/README.md).  Each target is one file with
# LLVMFuzzerTestOneInput().  In every build a replay program runs it on the
# committed corpus and the regression inputs (ctest fuzz_<target>_replay);
# with SM_FUZZ=ON (clang) the libFuzzer program fuzz_<target> is built too,
# and scripts/run-tests runs it for a bounded time.
set(SM_FUZZ_DIR ${CMAKE_CURRENT_SOURCE_DIR}/fuzz)
set(fuzz_frame_libs sm_proto)
set(fuzz_dispatch_libs broker_core)

foreach(t frame dispatch)
  add_executable(fuzz_${t}_replay fuzz/fuzz_${t}.c fuzz/replay_main.c)
  target_include_directories(fuzz_${t}_replay PRIVATE ${SM_FUZZ_DIR})
  target_link_libraries(fuzz_${t}_replay PRIVATE ${fuzz_${t}_libs})
  add_test(NAME fuzz_${t}_replay
    COMMAND fuzz_${t}_replay ${SM_FUZZ_DIR}/corpus/${t} ${SM_FUZZ_DIR}/regress/${t})
  set_tests_properties(fuzz_${t}_replay PROPERTIES TIMEOUT 120)
  if(SM_FUZZ)
    add_executable(fuzz_${t} fuzz/fuzz_${t}.c)
    target_include_directories(fuzz_${t} PRIVATE ${SM_FUZZ_DIR})
    target_link_libraries(fuzz_${t} PRIVATE ${fuzz_${t}_libs})
    target_link_options(fuzz_${t} PRIVATE -fsanitize=fuzzer)
  endif()
endforeach()

# the seed generator (run by hand after adding ops; see the README)
add_executable(fuzz_gen_seeds fuzz/gen_seeds.c)
target_link_libraries(fuzz_gen_seeds PRIVATE sm_proto)
