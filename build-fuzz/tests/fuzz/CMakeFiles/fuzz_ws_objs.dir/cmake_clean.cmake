file(REMOVE_RECURSE
  "CMakeFiles/fuzz_ws_objs.dir/__/__/src/ws/ws_frame.c.o"
  "CMakeFiles/fuzz_ws_objs.dir/__/__/src/ws/ws_frame.c.o.d"
)

# Per-language clean rules from dependency scanning.
foreach(lang C)
  include(CMakeFiles/fuzz_ws_objs.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()
