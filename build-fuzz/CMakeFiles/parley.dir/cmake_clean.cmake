file(REMOVE_RECURSE
  "CMakeFiles/parley.dir/src/main.c.o"
  "CMakeFiles/parley.dir/src/main.c.o.d"
  "parley"
  "parley.pdb"
)

# Per-language clean rules from dependency scanning.
foreach(lang C)
  include(CMakeFiles/parley.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()
