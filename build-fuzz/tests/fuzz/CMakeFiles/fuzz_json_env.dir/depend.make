# Empty dependencies file for fuzz_json_env.
# This may be replaced when dependencies are built.
