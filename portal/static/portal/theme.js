/*
 * Light or dark theme, following the system's preference (prefers-color-scheme).
 * Bootstrap 5.3 reads data-bs-theme on <html>; portal.css adapts the portal's
 * own colors under [data-bs-theme=dark]. Loaded with a blocking <script src> in
 * <head>, so that the page is never painted in the wrong theme first, and from a
 * file rather than inline, for the Content-Security-Policy. Without JavaScript
 * the page stays light.
 */
(function () {
  "use strict";

  var query = window.matchMedia ? window.matchMedia("(prefers-color-scheme: dark)") : null;

  function apply() {
    document.documentElement.setAttribute("data-bs-theme", query && query.matches ? "dark" : "light");
  }

  apply();
  if (query && query.addEventListener) {
    query.addEventListener("change", apply);
  } else if (query && query.addListener) {
    query.addListener(apply); // Safari before 14
  }
})();
