file(REMOVE_RECURSE
  "libparley_net.a"
)
