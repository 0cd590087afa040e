file(REMOVE_RECURSE
  "CMakeFiles/parley_json.dir/src/json/json_env.c.o"
  "CMakeFiles/parley_json.dir/src/json/json_env.c.o.d"
  "libparley_json.a"
  "libparley_json.pdb"
)

# Per-language clean rules from dependency scanning.
foreach(lang C)
  include(CMakeFiles/parley_json.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()
