// activities: fields shown only for one choice of a select (the reminder's exact time).
(function () {
  "use strict";
  function sync(form) {
    form.querySelectorAll("[data-show-when]").forEach(function (box) {
      var select = form.querySelector("select[name=when]");
      box.hidden = !select || select.value !== box.getAttribute("data-show-when");
    });
  }
  document.addEventListener("change", function (event) {
    if (event.target.matches("select[name=when]")) sync(event.target.form);
  });
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("form.reminder-form").forEach(sync);
  });
})();
