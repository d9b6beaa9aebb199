// ParkGrid glue: mounts Plotly charts from their JSON, and tunes htmx.
(function () {
  "use strict";

  function mountCharts(root) {
    if (!window.Plotly) return;
    root.querySelectorAll("[data-chart]").forEach(function (el) {
      if (el.dataset.mounted) return;
      var spec = JSON.parse(el.querySelector("script[type='application/json']").textContent);
      el.dataset.mounted = "1";
      var target = document.createElement("div");
      el.appendChild(target);
      window.Plotly.newPlot(target, spec.data, spec.layout, {
        displayModeBar: false,
        responsive: true,
      });
      // A bar that carries a link (its customdata) opens that page when clicked.
      target.on("plotly_click", function (ev) {
        var url = ev.points && ev.points[0] && ev.points[0].customdata;
        if (url) window.location.assign(url);
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    mountCharts(document);
  });

  document.addEventListener("htmx:load", function (ev) {
    mountCharts(ev.detail.elt);
  });
})();
