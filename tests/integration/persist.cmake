# Persistence on the real broker: journal replay, snapshots, damaged files,
# write errors, compaction, and a SIGKILL under 16 writer processes.
sm_add_test(it_persist SOURCES integration/test_persist.c harness.c
  LIBS syncmgr_static sm_proto nng::nng Threads::Threads TIMEOUT 600)
