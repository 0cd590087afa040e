file(REMOVE_RECURSE
  "CMakeFiles/fuzz_ws_frame.dir/fuzz_ws_frame.c.o"
  "CMakeFiles/fuzz_ws_frame.dir/fuzz_ws_frame.c.o.d"
  "fuzz_ws_frame"
  "fuzz_ws_frame.pdb"
)

# Per-language clean rules from dependency scanning.
foreach(lang C)
  include(CMakeFiles/fuzz_ws_frame.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()
