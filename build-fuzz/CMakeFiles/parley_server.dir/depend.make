# Empty dependencies file for parley_server.
# This may be replaced when dependencies are built.
