
# Consider dependencies only in project.
set(CMAKE_DEPENDS_IN_PROJECT_ONLY OFF)

# The set of languages for which implicit dependencies are needed:
set(CMAKE_DEPENDS_LANGUAGES
  )

# The set of dependency files which are needed:
set(CMAKE_DEPENDS_DEPENDENCY_FILES
  "/work/main/src/chat/chat_hub.c" "CMakeFiles/parley_chat.dir/src/chat/chat_hub.c.o" "gcc" "CMakeFiles/parley_chat.dir/src/chat/chat_hub.c.o.d"
  "/work/main/src/chat/chat_session.c" "CMakeFiles/parley_chat.dir/src/chat/chat_session.c.o" "gcc" "CMakeFiles/parley_chat.dir/src/chat/chat_session.c.o.d"
  )

# Targets to which this target links.
set(CMAKE_TARGET_LINKED_INFO_FILES
  "/work/main/build-fuzz/CMakeFiles/parley_json.dir/DependInfo.cmake"
  "/work/main/build-fuzz/CMakeFiles/parley_ws.dir/DependInfo.cmake"
  "/work/main/build-fuzz/CMakeFiles/parley_base.dir/DependInfo.cmake"
  )

# Fortran module output directory.
set(CMAKE_Fortran_TARGET_MODULE_DIR "")
