# Empty compiler generated dependencies file for fuzz_ws_frame.
# This may be replaced when dependencies are built.
