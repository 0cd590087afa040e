# Empty dependencies file for parley-embed.
# This may be replaced when dependencies are built.
