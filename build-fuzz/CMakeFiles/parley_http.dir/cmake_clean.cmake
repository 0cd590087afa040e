file(REMOVE_RECURSE
  "CMakeFiles/parley_http.dir/src/http/http_parse.c.o"
  "CMakeFiles/parley_http.dir/src/http/http_parse.c.o.d"
  "CMakeFiles/parley_http.dir/src/http/http_response.c.o"
  "CMakeFiles/parley_http.dir/src/http/http_response.c.o.d"
  "libparley_http.a"
  "libparley_http.pdb"
)

# Per-language clean rules from dependency scanning.
foreach(lang C)
  include(CMakeFiles/parley_http.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()
