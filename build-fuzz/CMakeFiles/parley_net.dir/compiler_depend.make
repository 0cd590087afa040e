# Empty compiler generated dependencies file for parley_net.
# This may be replaced when dependencies are built.
