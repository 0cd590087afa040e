file(REMOVE_RECURSE
  "libparley_ws.a"
)
