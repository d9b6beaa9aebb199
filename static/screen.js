// The big screen's glue: full screen on request, and a visible warning when a refresh fails.
// The minute refresh itself is htmx (hx-trigger="every 60s"); app.js mounts the new charts.
(function () {
  "use strict";

  document.addEventListener("DOMContentLoaded", function () {
    var button = document.getElementById("screen-full");
    if (button && document.documentElement.requestFullscreen) {
      button.addEventListener("click", function () {
        document.documentElement.requestFullscreen().catch(function () {});
      });
    } else if (button) {
      button.hidden = true;
    }
  });

  function isFigures(ev) {
    return ev.detail && ev.detail.target && ev.detail.target.id === "screen-figures";
  }

  // The old figures are about to be replaced: free Plotly's listeners and WebGL contexts,
  // or a display left on for days slowly fills its memory.
  document.addEventListener("htmx:beforeSwap", function (ev) {
    if (!isFigures(ev) || !window.Plotly) return;
    ev.detail.target.querySelectorAll("[data-chart] > div").forEach(function (el) {
      window.Plotly.purge(el);
    });
  });

  // A failed refresh leaves the last figures up (htmx does not swap an error), and says so.
  document.addEventListener("htmx:afterRequest", function (ev) {
    if (!isFigures(ev)) return;
    var failed = !ev.detail.successful;
    document.body.classList.toggle("stale", failed);
    var note = document.getElementById("screen-stale");
    if (note) note.hidden = !failed;
  });
})();
