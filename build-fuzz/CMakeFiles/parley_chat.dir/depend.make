# Empty dependencies file for parley_chat.
# This may be replaced when dependencies are built.
