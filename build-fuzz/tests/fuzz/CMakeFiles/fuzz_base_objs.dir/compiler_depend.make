# Empty compiler generated dependencies file for fuzz_base_objs.
# This may be replaced when dependencies are built.
