# Empty dependencies file for parley_http.
# This may be replaced when dependencies are built.
