file(REMOVE_RECURSE
  "CMakeFiles/test_ws_handshake.dir/tests/unit/test_ws_handshake.c.o"
  "CMakeFiles/test_ws_handshake.dir/tests/unit/test_ws_handshake.c.o.d"
  "test_ws_handshake"
  "test_ws_handshake.pdb"
)

# Per-language clean rules from dependency scanning.
foreach(lang C)
  include(CMakeFiles/test_ws_handshake.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()
