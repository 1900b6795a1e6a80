// Orders: line rows added and removed in place, and "everything remaining" in the delivery form.
// The pages work without this script (rows are posted as they are; "More rows" asks the server).
(function () {
  "use strict";

  function normalise(value) {
    // "8.000" -> "8", "2.500" -> "2.5": what a person would type.
    if (value.indexOf(".") === -1) return value;
    return value.replace(/0+$/, "").replace(/\.$/, "");
  }

  function addLine(table) {
    var template = document.getElementById("line-row-template");
    if (!template || !table) return;
    var index = parseInt(table.getAttribute("data-next-index") || "0", 10);
    var html = template.innerHTML.split("__i__").join(String(index));
    var body = table.querySelector("tbody");
    var holder = document.createElement("tbody");
    holder.innerHTML = html;
    var row = holder.querySelector("tr");
    if (!row) return;
    body.appendChild(row);
    table.setAttribute("data-next-index", String(index + 1));
    showRemoveButtons(row);
    if (window.htmx) window.htmx.process(row);
    var input = row.querySelector(".picker-input");
    if (input) input.focus();
  }

  function showRemoveButtons(root) {
    root.querySelectorAll("[data-remove-line]").forEach(function (button) { button.hidden = false; });
  }

  document.addEventListener("click", function (event) {
    var add = event.target.closest("[data-add-line]");
    if (add) {
      event.preventDefault();
      addLine(document.getElementById("line-rows"));
      return;
    }
    var remove = event.target.closest("[data-remove-line]");
    if (remove) {
      event.preventDefault();
      var row = remove.closest("[data-line-row]");
      if (row) row.remove();
      return;
    }
    var fill = event.target.closest("[data-fill-remaining]");
    if (fill) {
      event.preventDefault();
      document.querySelectorAll("input[data-remaining]").forEach(function (input) {
        input.value = normalise(input.getAttribute("data-remaining"));
      });
    }
  });

  document.addEventListener("DOMContentLoaded", function () {
    var rows = document.getElementById("line-rows");
    if (rows) showRemoveButtons(rows);
    document.querySelectorAll("[data-fill-remaining]").forEach(function (b) { b.hidden = false; });
  });
})();
