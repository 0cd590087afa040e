# Empty dependencies file for parley_json.
# This may be replaced when dependencies are built.
