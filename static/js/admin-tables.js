/* Admin sortable tables: a `table[data-sortable]` whose header cells carry
   `data-sort="text"` or `data-sort="number"` gets a button in each of them; pressing it orders
   the rows by that column (again: the other way) and says so with `aria-sort`. A cell's
   `data-sort-value` is used instead of its text when present. Tables work unsorted without it. */
(function () {
  "use strict";

  function cellValue(row, index, type) {
    var cell = row.cells[index];
    if (!cell) return type === "number" ? -Infinity : "";
    var raw = cell.hasAttribute("data-sort-value") ? cell.getAttribute("data-sort-value") : cell.textContent;
    raw = raw.trim();
    if (type !== "number") return raw.toLocaleLowerCase();
    var number = parseFloat(raw.replace(/[^0-9.\-]/g, ""));
    return isNaN(number) ? -Infinity : number;
  }

  function sortBy(table, header, index) {
    var type = header.getAttribute("data-sort");
    var ascending = header.getAttribute("aria-sort") !== "ascending";
    var body = table.tBodies[0];
    var rows = Array.prototype.slice.call(body.rows);
    rows.sort(function (a, b) {
      var x = cellValue(a, index, type);
      var y = cellValue(b, index, type);
      var order = type === "number" ? x - y : String(x).localeCompare(String(y));
      return ascending ? order : -order;
    });
    rows.forEach(function (row) { body.appendChild(row); });
    table.querySelectorAll("th[aria-sort]").forEach(function (other) {
      other.removeAttribute("aria-sort");
    });
    header.setAttribute("aria-sort", ascending ? "ascending" : "descending");
  }

  function makeSortable(table) {
    if (table.hasAttribute("data-sortable-ready") || !table.tHead || !table.tBodies[0]) return;
    table.setAttribute("data-sortable-ready", "");
    Array.prototype.forEach.call(table.tHead.rows[0].cells, function (header, index) {
      if (!header.hasAttribute("data-sort")) return;
      var button = document.createElement("button");
      button.type = "button";
      button.className = "sort-button";
      while (header.firstChild) button.appendChild(header.firstChild);
      header.appendChild(button);
      button.addEventListener("click", function () { sortBy(table, header, index); });
    });
  }

  function enhance(root) {
    if (!root.querySelectorAll) return;
    root.querySelectorAll("table[data-sortable]").forEach(makeSortable);
  }

  document.addEventListener("DOMContentLoaded", function () { enhance(document); });
  document.addEventListener("htmx:load", function (event) { enhance(event.detail.elt); });
})();
