// ParkGrid glue: mounts Plotly charts from their JSON, opens drill-downs, and tunes htmx.
(function () {
  "use strict";

  // A chart whose container says data-drill="#selector" loads what a clicked point links to
  // into that element (the server answers htmx with the fragment), and the address follows,
  // so the view can be shared; otherwise a linked point opens its page.
  function open(el, url) {
    var drill = el.dataset.drill;
    if (!drill || !window.htmx || !document.querySelector(drill)) {
      window.location.assign(url);
      return;
    }
    window.htmx.ajax("GET", url, { target: drill, swap: "innerHTML" }).then(function () {
      window.history.pushState({ parkgridDrill: true }, "", url);
    });
  }

  // Draws the charts under root that are not drawn yet. Once they all are, the document
  // fires "charts:drawn" (detail: how many), which the browser tests and the bench wait for.
  function mountCharts(root) {
    if (!window.Plotly) return Promise.resolve(0);
    var drawing = [];
    root.querySelectorAll("[data-chart]").forEach(function (el) {
      if (el.dataset.mounted) return;
      var spec = JSON.parse(el.querySelector("script[type='application/json']").textContent);
      el.dataset.mounted = "1";
      var target = document.createElement("div");
      el.appendChild(target);
      drawing.push(
        window.Plotly.newPlot(target, spec.data, spec.layout, {
          displayModeBar: false,
          responsive: true,
          staticPlot: el.dataset.static === "1",
        })
      );
      // A point that carries a link (its customdata) opens it when clicked.
      target.on("plotly_click", function (ev) {
        var url = ev.points && ev.points[0] && ev.points[0].customdata;
        if (typeof url === "string" && url) open(el, url);
      });
    });
    if (!drawing.length) return Promise.resolve(0);
    return Promise.all(drawing).then(function () {
      document.dispatchEvent(
        new CustomEvent("charts:drawn", { detail: { count: drawing.length, root: root } })
      );
      return drawing.length;
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    mountCharts(document);
    if (document.querySelector("[data-drill]")) {
      window.history.replaceState({ parkgridDrill: true }, "", window.location.href);
    }
  });

  // Back and forward through drill-downs: the address is the state, so load it whole.
  window.addEventListener("popstate", function (ev) {
    if (ev.state && ev.state.parkgridDrill) window.location.reload();
  });

  document.addEventListener("htmx:load", function (ev) {
    mountCharts(ev.detail.elt);
  });

  // A form, or the button that submits it, with data-confirm="question" asks first; no
  // inline script, so the page's CSP needs nothing for it. Cancelling sends nothing.
  document.addEventListener(
    "submit",
    function (ev) {
      var asker = ev.submitter && ev.submitter.dataset.confirm ? ev.submitter : ev.target;
      var question = asker && asker.dataset ? asker.dataset.confirm : "";
      if (question && !window.confirm(question)) {
        ev.preventDefault();
        ev.stopImmediatePropagation();
      }
    },
    true
  );

  // Exposed for pages that redraw their figures in place (the big screen).
  window.ParkGrid = { mountCharts: mountCharts };
})();
