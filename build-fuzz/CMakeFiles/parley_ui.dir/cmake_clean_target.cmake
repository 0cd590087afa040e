file(REMOVE_RECURSE
  "libparley_ui.a"
)
