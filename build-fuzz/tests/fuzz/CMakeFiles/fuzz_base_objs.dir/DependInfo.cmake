
# Consider dependencies only in project.
set(CMAKE_DEPENDS_IN_PROJECT_ONLY OFF)

# The set of languages for which implicit dependencies are needed:
set(CMAKE_DEPENDS_LANGUAGES
  )

# The set of dependency files which are needed:
set(CMAKE_DEPENDS_DEPENDENCY_FILES
  "/work/main/src/base/buf.c" "tests/fuzz/CMakeFiles/fuzz_base_objs.dir/__/__/src/base/buf.c.o" "gcc" "tests/fuzz/CMakeFiles/fuzz_base_objs.dir/__/__/src/base/buf.c.o.d"
  "/work/main/src/base/utf8.c" "tests/fuzz/CMakeFiles/fuzz_base_objs.dir/__/__/src/base/utf8.c.o" "gcc" "tests/fuzz/CMakeFiles/fuzz_base_objs.dir/__/__/src/base/utf8.c.o.d"
  "/work/main/src/base/xmalloc.c" "tests/fuzz/CMakeFiles/fuzz_base_objs.dir/__/__/src/base/xmalloc.c.o" "gcc" "tests/fuzz/CMakeFiles/fuzz_base_objs.dir/__/__/src/base/xmalloc.c.o.d"
  )

# Targets to which this target links.
set(CMAKE_TARGET_LINKED_INFO_FILES
  )

# Fortran module output directory.
set(CMAKE_Fortran_TARGET_MODULE_DIR "")
