file(REMOVE_RECURSE
  "CMakeFiles/fuzz_llhttp.dir/usr/share/llhttp/api.c.o"
  "CMakeFiles/fuzz_llhttp.dir/usr/share/llhttp/api.c.o.d"
  "CMakeFiles/fuzz_llhttp.dir/usr/share/llhttp/http.c.o"
  "CMakeFiles/fuzz_llhttp.dir/usr/share/llhttp/http.c.o.d"
  "CMakeFiles/fuzz_llhttp.dir/usr/share/llhttp/llhttp.c.o"
  "CMakeFiles/fuzz_llhttp.dir/usr/share/llhttp/llhttp.c.o.d"
)

# Per-language clean rules from dependency scanning.
foreach(lang C)
  include(CMakeFiles/fuzz_llhttp.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()
