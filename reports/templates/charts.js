(function () {
  "use strict";
  var holders = document.querySelectorAll("script[type='application/json'][data-plot]");
  var drawn = 0, failed = 0, pending = holders.length;
  function done() {
    pending -= 1;
    if (pending === 0) {
      document.body.setAttribute("data-charts-drawn", String(drawn));
      document.body.setAttribute("data-charts-failed", String(failed));
    }
  }
  function fail(target, message) {
    failed += 1;
    var note = document.createElement("p");
    note.className = "chart-error";
    note.textContent = "Chart not drawn (" + message + "); the table shows the same figures.";
    target.appendChild(note);
    done();
  }
  if (pending === 0) {
    document.body.setAttribute("data-charts-drawn", "0");
    document.body.setAttribute("data-charts-failed", "0");
    return;
  }
  Array.prototype.forEach.call(holders, function (holder) {
    var target = document.getElementById(holder.getAttribute("data-plot"));
    if (!target) { failed += 1; done(); return; }
    if (typeof window.Plotly === "undefined") { fail(target, "plotly.min.js not found"); return; }
    try {
      var figure = JSON.parse(holder.textContent);
      var config = { displaylogo: false, displayModeBar: false, responsive: true };
      window.Plotly.newPlot(target, figure.data, figure.layout, config).then(
        function () { drawn += 1; done(); },
        function (error) { fail(target, String(error)); }
      );
    } catch (error) {
      fail(target, String(error));
    }
  });
})();
