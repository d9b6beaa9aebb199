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
        window.Plotly.newPlot(target, spec.data, fitted(spec.layout, el.clientWidth), {
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

  // ---- Issue 15: charts on a phone, tables sorted in the browser -------------------------

  // A figure drawn narrower than this gets a phone's layout: smaller text, axes that make
  // room for their own tick labels (the last "100.00" or "2026Q3" is not cut off), room
  // at the sides of a radar for its axis names, and legends below the plot.
  var NARROW = 600;
  function fitted(layout, width) {
    if (!layout || !width || width > NARROW) return layout;
    var out = JSON.parse(JSON.stringify(layout));
    out.font = Object.assign({}, out.font, { size: 11 });
    var margin = (out.margin = Object.assign({ l: 10, r: 10, t: 10, b: 10 }, out.margin));
    Object.keys(out).forEach(function (key) {
      if (/^[xy]axis\d*$/.test(key)) out[key].automargin = true;
    });
    if (out.polar) {
      margin.l = Math.max(margin.l, 64);
      margin.r = Math.max(margin.r, 64);
    }
    // Text drawn outside a bar ("98.29") needs room at the right end of its axis.
    margin.r = Math.max(margin.r, 30);
    if (out.showlegend) out.legend = Object.assign({}, out.legend, { orientation: "h", x: 0, y: -0.25 });
    return out;
  }

  // A table[data-sortable] sorts its body rows by a column when its header's button is
  // pressed (a click, Enter or Space): up first, then down, aria-sort saying which. A
  // cell's data-value, when it has one, is what it sorts by; numbers sort as numbers,
  // text in Chinese (pinyin) order, blanks and dashes last. Headers marked data-nosort,
  // and tables whose rows span columns, are left alone.
  var collator = new Intl.Collator("zh-Hans-CN", { numeric: true });
  function sortValue(cell) {
    if (!cell) return null;
    var raw = cell.dataset.value !== undefined ? cell.dataset.value : cell.textContent;
    var text = raw.trim();
    if (!text || text === "—") return null;
    var n = Number(text.replace(/[,%\s]|[↑↓—]$/g, ""));
    if (!isNaN(n) && /^[-+]?[\d,.]+/.test(text)) return n;
    return text;
  }
  function compare(a, b) {
    if (a === null || b === null) return a === b ? 0 : a === null ? 1 : -1;
    if (typeof a === "number" && typeof b === "number") return a - b;
    return collator.compare(String(a), String(b));
  }
  function sortBy(table, th, index) {
    var body = table.tBodies[0];
    if (!body) return;
    var up = th.getAttribute("aria-sort") !== "ascending";
    var rows = Array.prototype.slice.call(body.rows).filter(function (r) {
      return !r.querySelector("[colspan]");
    });
    var keyed = rows.map(function (row, i) {
      return { row: row, key: sortValue(row.cells[index]), i: i };
    });
    keyed.sort(function (a, b) {
      // Blanks stay last either way; equal keys keep their order (the server's).
      if (a.key === null || b.key === null) return compare(a.key, b.key) || a.i - b.i;
      return (up ? compare(a.key, b.key) : compare(b.key, a.key)) || a.i - b.i;
    });
    keyed.forEach(function (k) {
      body.appendChild(k.row);
    });
    table.querySelectorAll("thead th[aria-sort]").forEach(function (other) {
      other.setAttribute("aria-sort", "none");
    });
    th.setAttribute("aria-sort", up ? "ascending" : "descending");
  }
  function sortable(root) {
    var tables = root.matches && root.matches("table[data-sortable]") ? [root] : [];
    tables = tables.concat(Array.prototype.slice.call(root.querySelectorAll("table[data-sortable]")));
    tables.forEach(function (table) {
      if (table.dataset.sortReady || !table.tHead) return;
      table.dataset.sortReady = "1";
      var head = table.tHead.rows[table.tHead.rows.length - 1];
      Array.prototype.forEach.call(head.cells, function (th, index) {
        if (th.hasAttribute("data-nosort") || th.colSpan > 1) return;
        var button = document.createElement("button");
        button.type = "button";
        button.className = "sort";
        while (th.firstChild) button.appendChild(th.firstChild);
        th.appendChild(button);
        th.setAttribute("aria-sort", "none");
        button.addEventListener("click", function () {
          sortBy(table, th, index);
        });
      });
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    sortable(document);
  });
  document.addEventListener("htmx:load", function (ev) {
    sortable(ev.detail.elt);
  });

  // Exposed for pages that redraw their figures in place (the big screen).
  window.ParkGrid = { mountCharts: mountCharts };
})();
