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
// people: a button with data-copy="element-id" copies that element's text (API token secret).
document.addEventListener("click", function (event) {
  "use strict";
  var button = event.target.closest("[data-copy]");
  if (!button || !navigator.clipboard) return;
  var source = document.getElementById(button.getAttribute("data-copy"));
  if (!source) return;
  navigator.clipboard.writeText(source.textContent.trim()).then(function () {
    var label = button.getAttribute("data-copied-label");
    if (label) button.textContent = label;
  });
});

// clients: company pickers — choosing a result fills the hidden id; typing again clears it.
(function () {
  "use strict";
  function pickerOf(el) { return el && el.closest("[data-picker]"); }
  document.addEventListener("click", function (event) {
    var option = event.target.closest("[data-pick]");
    var picker = pickerOf(option);
    if (option && picker) {
      picker.querySelector("[data-picker-value]").value = option.getAttribute("data-pick");
      picker.querySelector(".picker-input").value = option.getAttribute("data-label");
      picker.querySelector(".picker-results").innerHTML = "";
      return;
    }
    document.querySelectorAll("[data-picker] .picker-results").forEach(function (box) {
      if (!box.parentNode.contains(event.target)) box.innerHTML = "";
    });
    // Close filter drop-downs when clicking outside them.
    document.querySelectorAll("details.multi[open]").forEach(function (d) {
      if (!d.contains(event.target)) d.removeAttribute("open");
    });
  });
  document.addEventListener("input", function (event) {
    if (event.target.matches(".picker-input")) {
      var picker = pickerOf(event.target);
      if (picker) picker.querySelector("[data-picker-value]").value = "";
    }
  });
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape") {
      document.querySelectorAll(".picker-results").forEach(function (box) { box.innerHTML = ""; });
      document.querySelectorAll("details.multi[open]").forEach(function (d) { d.removeAttribute("open"); });
    }
  });
})();

// clients: list filters — text boxes search as you type (hx-trigger "input"); their "change" on
// leaving the box would repeat the same request and race with a click elsewhere, so it is muted.
document.addEventListener("change", function (event) {
  if (event.target.matches("[data-typing]")) event.stopPropagation();
}, true);

// clients: a filter drop-down's summary shows how many of its options are ticked.
document.addEventListener("change", function (event) {
  var box = event.target.closest ? event.target.closest("details.multi") : null;
  if (!box) return;
  var n = box.querySelectorAll("input:checked").length;
  var badge = box.querySelector(".multi-count");
  if (!badge) {
    badge = document.createElement("span");
    badge.className = "multi-count";
    box.querySelector("summary").appendChild(badge);
  }
  badge.textContent = String(n);
  badge.hidden = n === 0;
});
