# Empty compiler generated dependencies file for test_ws_handshake.
# This may be replaced when dependencies are built.
