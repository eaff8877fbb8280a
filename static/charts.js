// Draws the usage charts (templates/_usage_chart.html) with uPlot. Each series has its own look
// besides its colour (bars, then solid, dashed and dotted lines), named in the legend.
(function () {
  "use strict";
  const LOOKS = [
    { stroke: "#0172ad", fill: "rgba(1, 114, 173, 0.35)", bars: true, marker: "solid" },
    { stroke: "#7a3e00", dash: null, marker: "solid" },
    { stroke: "#5b2a86", dash: [8, 4], marker: "dashed" },
    { stroke: "#1d6b3a", dash: [2, 3], marker: "dotted" },
  ];
  const DAY = 86400;
  const COUNTS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1e3, 2e3, 5e3, 1e4, 2e4, 5e4, 1e5, 2e5, 5e5, 1e6, 1e7, 1e8, 1e9];  // whole numbers only

  function options(chart, width) {
    const series = chart.series.map(function (found, n) {
      const look = LOOKS[n % LOOKS.length];
      const line = { label: found.label, stroke: look.stroke, width: 2, points: { show: true, size: 5 } };
      if (look.bars) return { label: found.label, stroke: look.stroke, fill: look.fill, paths: uPlot.paths.bars({ size: [0.7, 24] }), points: { show: false } };
      if (look.dash) line.dash = look.dash;
      return line;
    });
    return {
      width: width,
      height: 200,
      tzDate: function (ts) { return uPlot.tzDate(new Date(ts * 1000), "Etc/UTC"); },
      scales: { x: { time: true, range: function (u, min, max) { return [min - DAY / 2, max + DAY / 2]; } } },
      axes: [{ space: 60 }, { size: 50, incrs: COUNTS }],
      legend: { markers: { dash: function (u, n) { return n === 0 ? "solid" : LOOKS[(n - 1) % LOOKS.length].marker; } } },
      series: [{ label: "Day" }].concat(series),
    };
  }

  function draw(box) {
    if (box.plot || box.offsetWidth === 0) return;  // drawn already, or hidden in a closed <details>
    const chart = JSON.parse(document.getElementById(box.dataset.chart).textContent);
    const days = chart.days.map(function (day) { return Date.parse(day + "T00:00:00Z") / 1000; });
    const data = [days].concat(chart.series.map(function (found) { return found.values; }));
    box.plot = new uPlot(options(chart, box.offsetWidth), data, box);
  }

  const boxes = Array.from(document.querySelectorAll("[data-chart]"));
  boxes.forEach(draw);
  document.querySelectorAll("details").forEach(function (details) {
    details.addEventListener("toggle", function () { details.querySelectorAll("[data-chart]").forEach(draw); });
  });
  let resizing = null;
  window.addEventListener("resize", function () {
    clearTimeout(resizing);
    resizing = setTimeout(function () {
      boxes.forEach(function (box) {
        if (box.plot && box.offsetWidth > 0) box.plot.setSize({ width: box.offsetWidth, height: 200 });
      });
    }, 150);
  });
})();
