file(REMOVE_RECURSE
  "CMakeFiles/test_json_env.dir/tests/unit/test_json_env.c.o"
  "CMakeFiles/test_json_env.dir/tests/unit/test_json_env.c.o.d"
  "test_json_env"
  "test_json_env.pdb"
)

# Per-language clean rules from dependency scanning.
foreach(lang C)
  include(CMakeFiles/test_json_env.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()
