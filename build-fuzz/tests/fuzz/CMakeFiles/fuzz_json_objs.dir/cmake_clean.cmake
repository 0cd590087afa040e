file(REMOVE_RECURSE
  "CMakeFiles/fuzz_json_objs.dir/__/__/src/json/json_env.c.o"
  "CMakeFiles/fuzz_json_objs.dir/__/__/src/json/json_env.c.o.d"
)

# Per-language clean rules from dependency scanning.
foreach(lang C)
  include(CMakeFiles/fuzz_json_objs.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()
