// catalog: a pricing rule's form shows the fields of the chosen kind only.
(function () {
  "use strict";
  function sync(form) {
    var kind = form.querySelector("select[name=kind]");
    if (!kind) return;
    form.querySelectorAll(".rule-fields[data-kinds]").forEach(function (box) {
      box.hidden = box.getAttribute("data-kinds").split(" ").indexOf(kind.value) === -1;
    });
  }
  document.addEventListener("change", function (event) {
    if (event.target.matches("[data-rule-form] select[name=kind]")) sync(event.target.form);
  });
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-rule-form]").forEach(sync);
  });
})();
