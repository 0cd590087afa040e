file(REMOVE_RECURSE
  "CMakeFiles/parley_net.dir/src/net/net.c.o"
  "CMakeFiles/parley_net.dir/src/net/net.c.o.d"
  "libparley_net.a"
  "libparley_net.pdb"
)

# Per-language clean rules from dependency scanning.
foreach(lang C)
  include(CMakeFiles/parley_net.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()
