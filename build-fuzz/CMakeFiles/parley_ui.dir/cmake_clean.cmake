file(REMOVE_RECURSE
  "CMakeFiles/parley_ui.dir/ui_files.c.o"
  "CMakeFiles/parley_ui.dir/ui_files.c.o.d"
  "libparley_ui.a"
  "libparley_ui.pdb"
  "ui_files.c"
)

# Per-language clean rules from dependency scanning.
foreach(lang C)
  include(CMakeFiles/parley_ui.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()
