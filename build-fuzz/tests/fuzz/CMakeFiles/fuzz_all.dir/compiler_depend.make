# Empty custom commands generated dependencies file for fuzz_all.
# This may be replaced when dependencies are built.
