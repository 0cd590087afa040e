# Empty compiler generated dependencies file for fuzz_http_parse.
# This may be replaced when dependencies are built.
