# sm_batch and sm_pipeline from real client processes.
sm_add_test(it_batch SOURCES integration/test_batch.c harness.c
  LIBS syncmgr_static sm_proto nng::nng Threads::Threads TIMEOUT 240)
sm_add_test(it_pipeline SOURCES integration/test_pipeline.c harness.c
  LIBS syncmgr_static sm_proto nng::nng Threads::Threads TIMEOUT 240)
