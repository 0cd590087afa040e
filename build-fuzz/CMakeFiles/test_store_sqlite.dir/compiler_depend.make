# Empty compiler generated dependencies file for test_store_sqlite.
# This may be replaced when dependencies are built.
