// parley web client: applies the chosen theme (theme.js) before the first paint.
// A classic script in <head>, not a module: it blocks parsing until it has run, so the
// page never shows in the other theme first; inline scripts would do the same but the
// Content-Security-Policy forbids them (script-src 'self').
try {
  var t = localStorage.getItem("parley.theme");
  if (t === "light" || t === "dark") document.documentElement.dataset.theme = t;
} catch (e) { /* storage refused (private mode): the system's theme */ }
