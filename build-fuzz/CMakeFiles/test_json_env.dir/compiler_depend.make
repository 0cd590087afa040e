# Empty compiler generated dependencies file for test_json_env.
# This may be replaced when dependencies are built.
