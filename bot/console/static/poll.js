// Refresh the parts of a page marked data-poll every 20 seconds, without reloading it.
// Background refreshes send X-Console-Poll so they do not count as activity (idle sign-out).
(function () {
  "use strict";
  var meta = document.querySelector('meta[name="console-poll"]');
  if (!meta || !window.fetch || !window.DOMParser) { return; }
  var url = meta.getAttribute("content");
  var every = 20000;
  var leaving = false;  // signed out: reload once (a second reload would lose the notice)

  function refresh() {
    if (leaving) { return; }
    fetch(url, { headers: { "X-Console-Poll": "1" }, credentials: "same-origin" })
      .then(function (response) {
        if (response.redirected || response.status === 401) {
          leaving = true;
          window.location.reload();  // signed out meanwhile: show the login page
          return null;
        }
        return response.ok ? response.text() : null;
      })
      .then(function (html) {
        if (!html) { return; }
        var fresh = new DOMParser().parseFromString(html, "text/html");
        document.querySelectorAll("[data-poll], #refreshed, h1 .count").forEach(function (old) {
          var selector = old.id ? "#" + old.id : (old.matches("h1 .count") ? "h1 .count" : null);
          var replacement = selector ? fresh.querySelector(selector) : null;
          if (replacement) { old.replaceWith(replacement); }
        });
      })
      .catch(function () { /* offline for a moment: try again next time */ });
  }
  window.setInterval(refresh, every);
}());
