file(REMOVE_RECURSE
  "CMakeFiles/test_http_response.dir/tests/unit/test_http_response.c.o"
  "CMakeFiles/test_http_response.dir/tests/unit/test_http_response.c.o.d"
  "test_http_response"
  "test_http_response.pdb"
)

# Per-language clean rules from dependency scanning.
foreach(lang C)
  include(CMakeFiles/test_http_response.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()
