file(REMOVE_RECURSE
  "CMakeFiles/fuzz_base_objs.dir/__/__/src/base/buf.c.o"
  "CMakeFiles/fuzz_base_objs.dir/__/__/src/base/buf.c.o.d"
  "CMakeFiles/fuzz_base_objs.dir/__/__/src/base/utf8.c.o"
  "CMakeFiles/fuzz_base_objs.dir/__/__/src/base/utf8.c.o.d"
  "CMakeFiles/fuzz_base_objs.dir/__/__/src/base/xmalloc.c.o"
  "CMakeFiles/fuzz_base_objs.dir/__/__/src/base/xmalloc.c.o.d"
)

# Per-language clean rules from dependency scanning.
foreach(lang C)
  include(CMakeFiles/fuzz_base_objs.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()
