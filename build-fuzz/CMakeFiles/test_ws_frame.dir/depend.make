# Empty dependencies file for test_ws_frame.
# This may be replaced when dependencies are built.
