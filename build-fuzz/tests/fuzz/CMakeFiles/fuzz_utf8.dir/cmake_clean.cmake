file(REMOVE_RECURSE
  "CMakeFiles/fuzz_utf8.dir/fuzz_utf8.c.o"
  "CMakeFiles/fuzz_utf8.dir/fuzz_utf8.c.o.d"
  "fuzz_utf8"
  "fuzz_utf8.pdb"
)

# Per-language clean rules from dependency scanning.
foreach(lang C)
  include(CMakeFiles/fuzz_utf8.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()
