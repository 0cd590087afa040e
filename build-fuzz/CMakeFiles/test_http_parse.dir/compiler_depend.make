# Empty compiler generated dependencies file for test_http_parse.
# This may be replaced when dependencies are built.
