// Event form: show only the date fields that fit the chosen kind of schedule.
// Without JavaScript both sets stay visible and the server uses the right one.
(function () {
  "use strict";
  var toggle = document.getElementById("all_day");
  var days = document.querySelector(".schedule--days");
  var times = document.querySelector(".schedule--times");
  if (!toggle || !days || !times) {
    return;
  }
  function update() {
    days.hidden = !toggle.checked;
    times.hidden = toggle.checked;
  }
  toggle.addEventListener("change", update);
  update();
})();

// Ask before a step that cannot be undone (cancelling an event).
document.querySelectorAll("form[data-confirm]").forEach(function (form) {
  form.addEventListener("submit", function (event) {
    if (!window.confirm(form.getAttribute("data-confirm"))) {
      event.preventDefault();
    }
  });
});
