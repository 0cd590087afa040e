file(REMOVE_RECURSE
  "CMakeFiles/parley_server.dir/src/server/server.c.o"
  "CMakeFiles/parley_server.dir/src/server/server.c.o.d"
  "libparley_server.a"
  "libparley_server.pdb"
)

# Per-language clean rules from dependency scanning.
foreach(lang C)
  include(CMakeFiles/parley_server.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()
