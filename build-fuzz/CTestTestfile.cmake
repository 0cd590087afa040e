# CMake generated Testfile for 
# Source directory: /work/main
# Build directory: /work/main/build-fuzz
# 
# This file includes the relevant testing commands required for 
# testing this directory and lists subdirectories to be tested as well.
add_test([=[test_http_parse]=] "/work/main/build-fuzz/test_http_parse")
set_tests_properties([=[test_http_parse]=] PROPERTIES  _BACKTRACE_TRIPLES "/work/main/CMakeLists.txt;91;add_test;/work/main/CMakeLists.txt;0;")
add_test([=[test_http_response]=] "/work/main/build-fuzz/test_http_response")
set_tests_properties([=[test_http_response]=] PROPERTIES  _BACKTRACE_TRIPLES "/work/main/CMakeLists.txt;91;add_test;/work/main/CMakeLists.txt;0;")
add_test([=[test_json_env]=] "/work/main/build-fuzz/test_json_env")
set_tests_properties([=[test_json_env]=] PROPERTIES  _BACKTRACE_TRIPLES "/work/main/CMakeLists.txt;91;add_test;/work/main/CMakeLists.txt;0;")
add_test([=[test_store_sqlite]=] "/work/main/build-fuzz/test_store_sqlite")
set_tests_properties([=[test_store_sqlite]=] PROPERTIES  _BACKTRACE_TRIPLES "/work/main/CMakeLists.txt;91;add_test;/work/main/CMakeLists.txt;0;")
add_test([=[test_utf8]=] "/work/main/build-fuzz/test_utf8")
set_tests_properties([=[test_utf8]=] PROPERTIES  _BACKTRACE_TRIPLES "/work/main/CMakeLists.txt;91;add_test;/work/main/CMakeLists.txt;0;")
add_test([=[test_ws_frame]=] "/work/main/build-fuzz/test_ws_frame")
set_tests_properties([=[test_ws_frame]=] PROPERTIES  _BACKTRACE_TRIPLES "/work/main/CMakeLists.txt;91;add_test;/work/main/CMakeLists.txt;0;")
add_test([=[test_ws_handshake]=] "/work/main/build-fuzz/test_ws_handshake")
set_tests_properties([=[test_ws_handshake]=] PROPERTIES  _BACKTRACE_TRIPLES "/work/main/CMakeLists.txt;91;add_test;/work/main/CMakeLists.txt;0;")
subdirs("tests/fuzz")
