
# Consider dependencies only in project.
set(CMAKE_DEPENDS_IN_PROJECT_ONLY OFF)

# The set of languages for which implicit dependencies are needed:
set(CMAKE_DEPENDS_LANGUAGES
  )

# The set of dependency files which are needed:
set(CMAKE_DEPENDS_DEPENDENCY_FILES
  "/work/main/src/server/server.c" "CMakeFiles/parley_server.dir/src/server/server.c.o" "gcc" "CMakeFiles/parley_server.dir/src/server/server.c.o.d"
  )

# Targets to which this target links.
set(CMAKE_TARGET_LINKED_INFO_FILES
  "/work/main/build-fuzz/CMakeFiles/parley_chat.dir/DependInfo.cmake"
  "/work/main/build-fuzz/CMakeFiles/parley_http.dir/DependInfo.cmake"
  "/work/main/build-fuzz/CMakeFiles/parley_net.dir/DependInfo.cmake"
  "/work/main/build-fuzz/CMakeFiles/parley_ws.dir/DependInfo.cmake"
  "/work/main/build-fuzz/CMakeFiles/parley_ui.dir/DependInfo.cmake"
  "/work/main/build-fuzz/CMakeFiles/parley_store.dir/DependInfo.cmake"
  "/work/main/build-fuzz/CMakeFiles/parley_json.dir/DependInfo.cmake"
  "/work/main/build-fuzz/CMakeFiles/llhttp.dir/DependInfo.cmake"
  "/work/main/build-fuzz/CMakeFiles/parley_base.dir/DependInfo.cmake"
  )

# Fortran module output directory.
set(CMAKE_Fortran_TARGET_MODULE_DIR "")
