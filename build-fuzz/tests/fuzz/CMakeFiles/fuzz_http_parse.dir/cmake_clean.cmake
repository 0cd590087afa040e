file(REMOVE_RECURSE
  "CMakeFiles/fuzz_http_parse.dir/fuzz_http_parse.c.o"
  "CMakeFiles/fuzz_http_parse.dir/fuzz_http_parse.c.o.d"
  "fuzz_http_parse"
  "fuzz_http_parse.pdb"
)

# Per-language clean rules from dependency scanning.
foreach(lang C)
  include(CMakeFiles/fuzz_http_parse.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()
