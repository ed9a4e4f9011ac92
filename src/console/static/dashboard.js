'use strict';
// Draws the dashboard's per-minute charts with uPlot (served from node_modules) from each chart's data-chart numbers.
(function () {
  if (typeof uPlot === 'undefined') return;
  var COLORS = ['#1d56d6', '#1e7a3b', '#b3261e', '#c98a00', '#6a3fb5', '#0f7c8c'];
  document.querySelectorAll('[data-chart]').forEach(function (el) {
    var data;
    try { data = JSON.parse(el.getAttribute('data-chart')); } catch (e) { return; }
    if (!data.series.length) return;
    el.textContent = '';
    var offsetMinutes = Number(el.getAttribute('data-offset-minutes')) || 0;
    var width = function () { return Math.max(260, el.clientWidth); };
    var plot = new uPlot({
      width: width(), height: 220,
      series: [{ label: el.getAttribute('data-x-label') || '' }].concat(data.series.map(function (s, i) {
        return { label: s.label, stroke: COLORS[i % COLORS.length], width: 2, points: { show: false } };
      })),
      axes: [{}, { size: 40 }],
      scales: { x: { time: true } },
      // The axis reads in the hub's zone, as every time on the pages does (not the browser's).
      tzDate: function (ts) {
        var d = new Date(ts * 1000 + offsetMinutes * 60000);
        return new Date(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate(), d.getUTCHours(), d.getUTCMinutes(), d.getUTCSeconds());
      },
    }, [data.x].concat(data.series.map(function (s) { return s.values; })), el);
    window.addEventListener('resize', function () { plot.setSize({ width: width(), height: 220 }); });
  });
})();
