# Empty compiler generated dependencies file for parley_ui.
# This may be replaced when dependencies are built.
