// Entity page: mentions and articles over time, drawn with Chart.js from the JSON in the page.
(function () {
  "use strict";
  var data = JSON.parse(document.getElementById("series").textContent);
  var canvas = document.getElementById("mentions-chart");
  if (!window.Chart || !canvas) { return; }
  var labels = data.map(function (p) { return String(p.t).slice(0, 10); });
  var chart = new window.Chart(canvas, {
    type: "bar",
    data: {
      labels: labels,
      datasets: [
        { type: "bar", label: "mentions", data: data.map(function (p) { return p.mentions; }),
          backgroundColor: "rgba(11, 87, 208, 0.55)", yAxisID: "y" },
        { type: "line", label: "articles", data: data.map(function (p) { return p.articles; }),
          borderColor: "#b3261e", backgroundColor: "#b3261e", pointRadius: 2, tension: 0.2, yAxisID: "y" }
      ]
    },
    options: {
      responsive: true, maintainAspectRatio: false, animation: false,
      interaction: { mode: "index", intersect: false },
      scales: { y: { beginAtZero: true, ticks: { precision: 0 } } }
    }
  });
  canvas.setAttribute("data-drawn", String(chart.data.datasets[0].data.length));
})();
