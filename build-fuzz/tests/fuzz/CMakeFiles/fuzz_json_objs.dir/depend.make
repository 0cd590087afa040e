# Empty dependencies file for fuzz_json_objs.
# This may be replaced when dependencies are built.
