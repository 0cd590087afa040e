# Empty dependencies file for parley_ws.
# This may be replaced when dependencies are built.
