file(REMOVE_RECURSE
  "CMakeFiles/test_ws_frame.dir/tests/unit/test_ws_frame.c.o"
  "CMakeFiles/test_ws_frame.dir/tests/unit/test_ws_frame.c.o.d"
  "test_ws_frame"
  "test_ws_frame.pdb"
)

# Per-language clean rules from dependency scanning.
foreach(lang C)
  include(CMakeFiles/test_ws_frame.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()
