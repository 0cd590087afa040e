file(REMOVE_RECURSE
  "libparley_http.a"
)
