file(REMOVE_RECURSE
  "libparley_json.a"
)
