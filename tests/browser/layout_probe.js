(function () {
  "use strict";
  // Test-only probe (tests/browser): once the charts are drawn, measure where the action box, the charts and
  // every table sit, then write the measurements as JSON into a pre element (id layout-probe) for --dump-dom.
  function rect(element) {
    var box = element.getBoundingClientRect();
    return { top: box.top + window.scrollY, bottom: box.bottom + window.scrollY, left: box.left, right: box.right };
  }
  function measure() {
    var result = { width: window.innerWidth, scrollWidth: document.documentElement.scrollWidth, tables: [] };
    var actions = document.getElementById("actions");
    result.actions = actions ? rect(actions) : null;
    result.actionTickets = Array.prototype.map.call(
      document.querySelectorAll("#action-list li.action"), function (item) { return item.getAttribute("data-ticket"); });
    var plots = document.querySelectorAll(".plot");
    result.firstChart = plots.length ? rect(plots[0]) : null;
    // every table, the ones behind a chart (in a closed <details>) opened too
    Array.prototype.forEach.call(document.querySelectorAll("details"), function (item) { item.open = true; });
    Array.prototype.forEach.call(document.querySelectorAll("table[id]"), function (table) {
      var wrap = table.closest(".table-wrap") || table.parentElement;
      result.tables.push({ id: table.id, scrollWidth: wrap.scrollWidth, clientWidth: wrap.clientWidth,
        right: rect(table).right });
    });
    var tickets = document.getElementById("ticket-table");
    if (tickets) {
      var order = function () {
        return Array.prototype.filter.call(tickets.tBodies[0].rows, function (row) { return !row.hidden; })
          .map(function (row) { return row.getAttribute("data-ticket"); });
      };
      result.ticketOrder = order();
      var headers = tickets.tHead.rows[0].cells;
      var sortBy = document.body.getAttribute("data-probe-sort") || "";
      for (var index = 0; index < headers.length; index += 1) {
        if (sortBy && headers[index].textContent.trim() === sortBy) { headers[index].querySelector("button").click(); }
      }
      result.ticketOrderSorted = order();
      var filter = document.getElementById("ticket-filter");
      filter.value = document.body.getAttribute("data-probe-filter") || "";
      filter.dispatchEvent(new Event("input"));
      result.ticketsFiltered = order();
    }
    var out = document.createElement("pre");
    out.id = "layout-probe";
    out.textContent = JSON.stringify(result);
    document.body.appendChild(out);
  }
  function wait(tries) {
    if (document.body.hasAttribute("data-charts-drawn") || tries <= 0) { measure(); return; }
    setTimeout(function () { wait(tries - 1); }, 50);
  }
  window.addEventListener("load", function () { wait(80); });
})();
