# Sanitizer and fuzzing builds (scripts/run-tests builds one such tree as
# build-asan next to the normal build).
#
#   SM_SANITIZE=ON  every target with AddressSanitizer + UndefinedBehaviorSanitizer;
#                   any UB report stops the program (-fno-sanitize-recover)
#   SM_FUZZ=ON      also the libFuzzer targets of tests/fuzz (needs clang; implies
#                   SM_SANITIZE): all code gets libFuzzer's coverage
#                   instrumentation, the fuzz programs link -fsanitize=fuzzer
option(SM_SANITIZE "Build everything with ASan and UBSan" OFF)
option(SM_FUZZ "Build the libFuzzer targets (clang), with ASan and UBSan" OFF)

if(SM_FUZZ)
  if(NOT CMAKE_C_COMPILER_ID MATCHES "Clang")
    message(FATAL_ERROR "SM_FUZZ=ON needs clang (configure with CC=clang)")
  endif()
  set(SM_SANITIZE ON CACHE BOOL "Build everything with ASan and UBSan" FORCE)
  add_compile_options(-fsanitize=fuzzer-no-link)
endif()

if(SM_SANITIZE)
  set(_sm_san -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer)
  add_compile_options(${_sm_san})
  add_link_options(${_sm_san})
endif()
message(STATUS "syncmgr: sanitizers: ${SM_SANITIZE}, fuzz targets: ${SM_FUZZ}")
