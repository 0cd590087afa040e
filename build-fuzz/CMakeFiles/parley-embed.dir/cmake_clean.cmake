file(REMOVE_RECURSE
  "CMakeFiles/parley-embed.dir/tools/embed/embed.c.o"
  "CMakeFiles/parley-embed.dir/tools/embed/embed.c.o.d"
  "parley-embed"
  "parley-embed.pdb"
)

# Per-language clean rules from dependency scanning.
foreach(lang C)
  include(CMakeFiles/parley-embed.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()
