# Empty dependencies file for test_http_response.
# This may be replaced when dependencies are built.
