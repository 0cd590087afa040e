# Empty compiler generated dependencies file for fuzz_utf8.
# This may be replaced when dependencies are built.
