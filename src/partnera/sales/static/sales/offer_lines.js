// sales: the offer line editor. Without this script the page posts its rows and a "More rows"
// button asks for blank ones; with it, "Add a line" copies the row template in place and a ticked
// "Remove" dims its row (the row is left out when the form is saved).
(function () {
  "use strict";
  function nextIndex(body) {
    var highest = -1;
    body.querySelectorAll("[data-line-row] input[name^='lines-']").forEach(function (input) {
      var match = /^lines-(\d+)-/.exec(input.name);
      if (match) highest = Math.max(highest, parseInt(match[1], 10));
    });
    return highest + 1;
  }
  function setUp() {
    var body = document.querySelector("[data-line-rows]");
    var template = document.getElementById("offer-line-template");
    if (!body || !template) return;
    document.querySelectorAll("[data-more-rows]").forEach(function (b) { b.hidden = true; });
    document.querySelectorAll("[data-add-line]").forEach(function (button) {
      button.hidden = false;
      button.addEventListener("click", function () {
        var index = String(nextIndex(body));
        var holder = document.createElement("tbody");
        holder.innerHTML = template.innerHTML.split("__i__").join(index);
        var row = holder.querySelector("[data-line-row]");
        if (!row) return;
        body.appendChild(row);
        if (window.htmx) window.htmx.process(row);
        var first = row.querySelector(".picker-input");
        if (first) first.focus();
      });
    });
    body.addEventListener("change", function (event) {
      if (event.target.matches("[data-remove-line]")) {
        event.target.closest("[data-line-row]").classList.toggle("removed", event.target.checked);
      }
    });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", setUp);
  else setUp();
})();
