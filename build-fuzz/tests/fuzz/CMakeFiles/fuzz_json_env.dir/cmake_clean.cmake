file(REMOVE_RECURSE
  "CMakeFiles/fuzz_json_env.dir/fuzz_json_env.c.o"
  "CMakeFiles/fuzz_json_env.dir/fuzz_json_env.c.o.d"
  "fuzz_json_env"
  "fuzz_json_env.pdb"
)

# Per-language clean rules from dependency scanning.
foreach(lang C)
  include(CMakeFiles/fuzz_json_env.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()
