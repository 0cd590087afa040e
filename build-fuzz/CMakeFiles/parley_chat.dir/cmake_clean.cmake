file(REMOVE_RECURSE
  "CMakeFiles/parley_chat.dir/src/chat/chat_hub.c.o"
  "CMakeFiles/parley_chat.dir/src/chat/chat_hub.c.o.d"
  "CMakeFiles/parley_chat.dir/src/chat/chat_session.c.o"
  "CMakeFiles/parley_chat.dir/src/chat/chat_session.c.o.d"
  "libparley_chat.a"
  "libparley_chat.pdb"
)

# Per-language clean rules from dependency scanning.
foreach(lang C)
  include(CMakeFiles/parley_chat.dir/cmake_clean_${lang}.cmake OPTIONAL)
endforeach()
