file(REMOVE_RECURSE
  "CMakeFiles/llhttp.dir/usr/share/llhttp/api.c.o"
  "CMakeFiles/llhttp.dir/usr/share/llhttp/api.c.o.d"
  "CMakeFiles/llhttp.dir/usr/share/llhttp/http.c.o"
  "CMakeFiles/llhttp.dir/usr/share/llhttp/http.c.o.d"
  "CMakeFiles/llhttp.dir/usr/share/llhttp/llhttp.c.o"
  "CMakeFiles/llhttp.dir/usr/share/llhttp/llhttp.c.o.d"
  "libllhttp.a"
  "libllhttp.pdb"
)

# Per-language clean rules from dependency scanning.
foreach(lang C)
  include(CMakeFiles/llhttp.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()
