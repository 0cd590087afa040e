file(REMOVE_RECURSE
  "libparley_store.a"
)
