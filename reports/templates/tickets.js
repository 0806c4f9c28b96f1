(function () {
  "use strict";
  // Sort and filter the overview's ticket table in the page itself: no network, no library.
  var table = document.getElementById("ticket-table");
  if (!table) { return; }
  var body = table.tBodies[0];
  var rows = Array.prototype.slice.call(body.rows);
  var filter = document.getElementById("ticket-filter");
  var workspace = document.getElementById("ticket-workspace");
  var counter = document.getElementById("ticket-count");
  function cellValue(row, index, numeric) {
    var cell = row.cells[index];
    var raw = cell.getAttribute("data-value");
    if (raw === null) { raw = cell.textContent; }
    return numeric ? parseFloat(raw) || 0 : raw.toLowerCase();
  }
  function apply() {
    var words = (filter.value || "").toLowerCase().split(/\s+/).filter(Boolean);
    var chosen = workspace.value;
    var shown = 0;
    rows.forEach(function (row) {
      var text = row.textContent.toLowerCase();
      var ok = (!chosen || row.getAttribute("data-workspace") === chosen) &&
        words.every(function (word) { return text.indexOf(word) >= 0; });
      row.hidden = !ok;
      if (ok) { shown += 1; }
    });
    counter.textContent = shown + " of " + rows.length + " shown";
    table.setAttribute("data-shown", String(shown));
  }
  Array.prototype.forEach.call(table.tHead.rows[0].cells, function (header, index) {
    var kind = header.getAttribute("data-sort");
    var button = header.querySelector("button");
    if (!kind || !button) { return; }
    button.addEventListener("click", function () {
      var descending = header.getAttribute("aria-sort") !== "descending";
      Array.prototype.forEach.call(table.tHead.rows[0].cells, function (other) { other.removeAttribute("aria-sort"); });
      header.setAttribute("aria-sort", descending ? "descending" : "ascending");
      var numeric = kind === "number";
      rows.sort(function (a, b) {
        var x = cellValue(a, index, numeric), y = cellValue(b, index, numeric);
        var order = x < y ? -1 : x > y ? 1 : 0;
        return descending ? -order : order;
      });
      rows.forEach(function (row) { body.appendChild(row); });
    });
  });
  filter.addEventListener("input", apply);
  workspace.addEventListener("change", apply);
  apply();
})();
