# Socket mode and group, uid allow-list, failed handshakes, the key kept out
# of the log, tls+tcp:// with certificates made by openssl (test_security.c).
sm_add_test(it_security SOURCES integration/test_security.c harness.c
  LIBS syncmgr_static sm_proto nng::nng Threads::Threads TIMEOUT 240)
# it runs syncmgrctl with its --tls-* flags: build it first
add_dependencies(it_security syncmgrctl)
