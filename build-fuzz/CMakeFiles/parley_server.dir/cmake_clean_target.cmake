file(REMOVE_RECURSE
  "libparley_server.a"
)
