file(REMOVE_RECURSE
  "CMakeFiles/test_http_parse.dir/tests/unit/test_http_parse.c.o"
  "CMakeFiles/test_http_parse.dir/tests/unit/test_http_parse.c.o.d"
  "test_http_parse"
  "test_http_parse.pdb"
)

# Per-language clean rules from dependency scanning.
foreach(lang C)
  include(CMakeFiles/test_http_parse.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()
