# Empty compiler generated dependencies file for fuzz_http_objs.
# This may be replaced when dependencies are built.
