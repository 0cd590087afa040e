# Empty compiler generated dependencies file for fuzz_llhttp.
# This may be replaced when dependencies are built.
