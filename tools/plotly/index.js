// ParkGrid's plotly.js: the core (which always carries scatter) and the trace types that
// app/dashboard/*charts.py draw, and nothing else. build.mjs bundles it to the global
// `Plotly`; tests/test_assets.py checks that this list is exactly what the charts use.

var Plotly = require('plotly.js/lib/core');

Plotly.register([
  require('plotly.js/lib/bar'), // rankings, indicator progress
  require('plotly.js/lib/funnel'), // pilot pyramid, worker demand funnel
  require('plotly.js/lib/heatmap'), // district scorecard, park grid tiles
  require('plotly.js/lib/scatterpolar'), // aspect radar
]);

module.exports = Plotly;
