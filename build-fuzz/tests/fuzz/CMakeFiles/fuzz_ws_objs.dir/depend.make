# Empty dependencies file for fuzz_ws_objs.
# This may be replaced when dependencies are built.
