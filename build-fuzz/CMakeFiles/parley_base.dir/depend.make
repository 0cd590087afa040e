# Empty dependencies file for parley_base.
# This may be replaced when dependencies are built.
