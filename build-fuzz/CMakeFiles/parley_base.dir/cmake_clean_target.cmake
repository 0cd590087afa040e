file(REMOVE_RECURSE
  "libparley_base.a"
)
