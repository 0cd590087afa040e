file(REMOVE_RECURSE
  "CMakeFiles/parley_store.dir/src/store/store_sqlite.c.o"
  "CMakeFiles/parley_store.dir/src/store/store_sqlite.c.o.d"
  "libparley_store.a"
  "libparley_store.pdb"
)

# Per-language clean rules from dependency scanning.
foreach(lang C)
  include(CMakeFiles/parley_store.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()
