file(REMOVE_RECURSE
  "CMakeFiles/fuzz_http_objs.dir/__/__/src/http/http_parse.c.o"
  "CMakeFiles/fuzz_http_objs.dir/__/__/src/http/http_parse.c.o.d"
)

# Per-language clean rules from dependency scanning.
foreach(lang C)
  include(CMakeFiles/fuzz_http_objs.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()
