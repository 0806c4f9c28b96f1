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
    // the finding cards (held and idle, waste reports, quota to release, whole nodes a defrag frees)
    var cards = document.getElementById("finding-cards");
    result.cards = cards ? rect(cards) : null;
    result.cardValues = {};
    Array.prototype.forEach.call(document.querySelectorAll("#finding-cards .value"), function (value) {
      var box = value.getBoundingClientRect();
      result.cardValues[value.id] = { text: value.textContent.trim(), visible: box.width > 0 && box.height > 0 };
    });
    // every table, the ones behind a chart (in a closed <details>) opened too
    Array.prototype.forEach.call(document.querySelectorAll("details"), function (item) { item.open = true; });
    Array.prototype.forEach.call(document.querySelectorAll("table[id]"), function (table) {
      var wrap = table.closest(".table-wrap") || table.parentElement;
      result.tables.push({ id: table.id, scrollWidth: wrap.scrollWidth, clientWidth: wrap.clientWidth,
        right: rect(table).right });
    });
    // every element wider than the viewport or reaching past its right edge (tables measured above, opened)
    var viewport = document.documentElement.clientWidth;
    result.clientWidth = viewport;
    result.wideElements = [];
    Array.prototype.forEach.call(document.body.querySelectorAll("*"), function (element) {
      var box = element.getBoundingClientRect();
      // entirely off-screen to the left or above (plotly's text-measuring svg#js-plotly-tester) is not on the page
      var onPage = box.right > 0 && box.bottom > 0;
      if (onPage && box.width > 0 && (box.width > viewport + 1 || box.right > viewport + 1)) {
        result.wideElements.push(element.tagName.toLowerCase() + (element.id ? "#" + element.id : "") +
          (element.className && typeof element.className === "string" ? "." + element.className : ""));
      }
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
