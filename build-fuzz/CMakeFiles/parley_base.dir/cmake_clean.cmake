file(REMOVE_RECURSE
  "CMakeFiles/parley_base.dir/src/base/blob.c.o"
  "CMakeFiles/parley_base.dir/src/base/blob.c.o.d"
  "CMakeFiles/parley_base.dir/src/base/buf.c.o"
  "CMakeFiles/parley_base.dir/src/base/buf.c.o.d"
  "CMakeFiles/parley_base.dir/src/base/clock.c.o"
  "CMakeFiles/parley_base.dir/src/base/clock.c.o.d"
  "CMakeFiles/parley_base.dir/src/base/log.c.o"
  "CMakeFiles/parley_base.dir/src/base/log.c.o.d"
  "CMakeFiles/parley_base.dir/src/base/utf8.c.o"
  "CMakeFiles/parley_base.dir/src/base/utf8.c.o.d"
  "CMakeFiles/parley_base.dir/src/base/xmalloc.c.o"
  "CMakeFiles/parley_base.dir/src/base/xmalloc.c.o.d"
  "libparley_base.a"
  "libparley_base.pdb"
)

# Per-language clean rules from dependency scanning.
foreach(lang C)
  include(CMakeFiles/parley_base.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()
