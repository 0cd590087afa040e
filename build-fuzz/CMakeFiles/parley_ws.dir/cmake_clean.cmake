file(REMOVE_RECURSE
  "CMakeFiles/parley_ws.dir/src/ws/ws_frame.c.o"
  "CMakeFiles/parley_ws.dir/src/ws/ws_frame.c.o.d"
  "CMakeFiles/parley_ws.dir/src/ws/ws_handshake.c.o"
  "CMakeFiles/parley_ws.dir/src/ws/ws_handshake.c.o.d"
  "libparley_ws.a"
  "libparley_ws.pdb"
)

# Per-language clean rules from dependency scanning.
foreach(lang C)
  include(CMakeFiles/parley_ws.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()
