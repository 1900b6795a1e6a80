// Small, CSP-safe behaviours (no inline scripts anywhere).
(function () {
  "use strict";
  document.addEventListener("click", function (event) {
    var toggle = event.target.closest("[data-toggle]");
    if (toggle) {
      var target = document.getElementById(toggle.getAttribute("data-toggle"));
      if (target) target.classList.toggle("open");
    }
    var confirmEl = event.target.closest("[data-confirm]");
    if (confirmEl && !window.confirm(confirmEl.getAttribute("data-confirm"))) {
      event.preventDefault();
      event.stopImmediatePropagation();
    }
  }, true);
  // Close the search dropdown with Escape or a click elsewhere.
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape") {
      var box = document.getElementById("search-results");
      if (box) box.innerHTML = "";
    }
  });
  document.addEventListener("click", function (event) {
    var box = document.getElementById("search-results");
    if (box && !event.target.closest(".global-search")) box.innerHTML = "";
  });
  // Selects marked data-autosubmit submit their form on change (filters).
  document.addEventListener("change", function (event) {
    if (event.target.matches("[data-autosubmit]")) event.target.form.requestSubmit();
  });
})();
