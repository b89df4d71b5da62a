# Unit tests of proto/: codec, auth, the .def tables and the busy-poll policy.  No network, no broker.
sm_add_test(unit_codec SOURCES unit/test_codec.c unit/codec_util.c LIBS sm_proto)
sm_add_test(unit_codec_frames SOURCES unit/test_codec_frames.c unit/codec_util.c LIBS sm_proto)
sm_add_test(unit_auth SOURCES unit/test_auth.c LIBS sm_proto)
sm_add_test(unit_ops SOURCES unit/test_ops.c LIBS sm_proto)
sm_add_test(unit_spin SOURCES unit/test_spin.c LIBS sm_proto)
