file(REMOVE_RECURSE
  "CMakeFiles/test_store_sqlite.dir/tests/unit/test_store_sqlite.c.o"
  "CMakeFiles/test_store_sqlite.dir/tests/unit/test_store_sqlite.c.o.d"
  "test_store_sqlite"
  "test_store_sqlite.pdb"
)

# Per-language clean rules from dependency scanning.
foreach(lang C)
  include(CMakeFiles/test_store_sqlite.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()
