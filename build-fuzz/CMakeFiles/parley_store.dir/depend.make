# Empty dependencies file for parley_store.
# This may be replaced when dependencies are built.
