/*
 * Relative times ("2 hours ago", "hace 2 horas") for <time data-relative> elements.
 *
 * The server renders the exact date as the text (what readers without
 * JavaScript see) and in the title (shown on hover). Pages seen by visitors
 * are cached for minutes, so "2 hours ago" cannot be rendered on the server:
 * it is computed here from the datetime attribute, in the page's language
 * (<html lang>) with Intl.RelativeTimeFormat, and kept up to date every minute.
 * Times older than 30 days keep their exact date. An element right before the
 * <time> marked data-relative-prefix (e.g. "on") is hidden while the time is
 * relative.
 */
(function () {
  "use strict";

  if (!window.Intl || !Intl.RelativeTimeFormat) {
    return;
  }
  var MINUTE = 60, HOUR = 3600, DAY = 86400, LIMIT = 30 * DAY;
  var format = new Intl.RelativeTimeFormat(document.documentElement.lang || "en", { numeric: "auto" });

  function relative(seconds) {
    var abs = Math.abs(seconds);
    if (abs < MINUTE) {
      return format.format(0, "second"); // "now" / "ahora"
    }
    if (abs < HOUR) {
      return format.format(Math.round(seconds / MINUTE), "minute");
    }
    if (abs < DAY) {
      return format.format(Math.round(seconds / HOUR), "hour");
    }
    return format.format(Math.round(seconds / DAY), "day");
  }

  function update() {
    var now = Date.now();
    var times = document.querySelectorAll("time[data-relative]");
    for (var i = 0; i < times.length; i++) {
      var time = times[i];
      var when = Date.parse(time.getAttribute("datetime"));
      if (isNaN(when)) {
        continue;
      }
      if (!time.hasAttribute("data-exact")) {
        time.setAttribute("data-exact", time.textContent);
        if (!time.title) {
          time.title = time.textContent.trim();
        }
      }
      var seconds = (when - now) / 1000;
      var prefix = time.previousElementSibling;
      var isRelative = Math.abs(seconds) < LIMIT;
      time.textContent = isRelative ? relative(seconds) : time.getAttribute("data-exact");
      if (prefix && prefix.hasAttribute("data-relative-prefix")) {
        prefix.hidden = isRelative;
      }
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", update);
  } else {
    update();
  }
  window.setInterval(update, 60 * 1000);
})();
