file(REMOVE_RECURSE
  "CMakeFiles/fuzz_all"
)

# Per-language clean rules from dependency scanning.
foreach(lang )
  include(CMakeFiles/fuzz_all.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()
