file(REMOVE_RECURSE
  "libparley_chat.a"
)
