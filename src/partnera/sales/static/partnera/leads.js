// sales: the qualify page — typing into a choice's fields (a new company, another company)
// selects that choice, so what the user fills in is what is used.
(function () {
  "use strict";
  function choose(event) {
    var block = event.target.closest ? event.target.closest("[data-choice]") : null;
    if (!block) return;
    var radio = block.querySelector("input[type=radio]");
    if (radio && !radio.checked && event.target !== radio) {
      radio.checked = true;
    }
    var list = block.parentNode;
    list.querySelectorAll("[data-choice]").forEach(function (el) {
      var r = el.querySelector("input[type=radio]");
      el.classList.toggle("chosen", !!(r && r.checked));
    });
  }
  document.addEventListener("input", choose);
  document.addEventListener("change", choose);
})();
