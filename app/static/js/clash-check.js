// Event form: show the clashes live while the organiser sets date, place and audiences.
// Without JavaScript the "Check for clashes" button and the date buttons post the form
// and the server answers with the same warnings; this script only saves the round trip.
(function () {
  "use strict";
  var panel = document.getElementById("clash-panel");
  var form = document.getElementById("event-form");
  var results = document.getElementById("clash-results");
  if (!panel || !form || !results || !window.fetch || !window.FormData) {
    return;
  }
  var url = panel.getAttribute("data-check-url");
  var eventId = panel.getAttribute("data-event-id");
  var watched = ["all_day", "first_day", "last_day", "day", "start_time", "end_time",
    "end_day", "venue_name", "municipality", "audiences", "event_type"];
  var timer = null;
  var latest = 0;

  function csrfToken() {
    var input = form.querySelector("input[name=csrf_token]");
    return input ? input.value : "";
  }

  function check() {
    var body = new FormData(form);
    body.delete("csrf_token");
    if (eventId) {
      body.set("event_id", eventId);
    }
    var ticket = ++latest;
    panel.setAttribute("aria-busy", "true");
    fetch(url, {
      method: "POST",
      body: body,
      credentials: "same-origin",
      headers: { "X-CSRFToken": csrfToken(), "Accept": "application/json" }
    }).then(function (response) {
      if (!response.ok) {
        throw new Error("clash check failed: " + response.status);
      }
      return response.json();
    }).then(function (data) {
      if (ticket === latest) {
        results.innerHTML = data.html;
        var inline = document.getElementById("clash-inline");
        if (inline) {
          inline.innerHTML = data.inline;
        }
      }
    }).catch(function () {
      // The button still works: nothing to do but leave the last answer.
    }).then(function () {
      if (ticket === latest) {
        panel.removeAttribute("aria-busy");
      }
    });
  }

  function later() {
    window.clearTimeout(timer);
    timer = window.setTimeout(check, 400);
  }

  form.addEventListener("change", function (event) {
    if (event.target && watched.indexOf(event.target.name) !== -1) {
      later();
    }
  });
  form.addEventListener("input", function (event) {
    if (event.target && event.target.name === "venue_name") {
      later();
    }
  });

  function field(id) {
    return document.getElementById(id);
  }

  function shift(value, days) {
    var parts = value.split("-");
    var day = new Date(Date.UTC(+parts[0], +parts[1] - 1, +parts[2] + days));
    return day.toISOString().slice(0, 10);
  }

  function daysBetween(a, b) {
    return Math.round((Date.parse(b) - Date.parse(a)) / 86400000);
  }

  // A suggested date fills the date fields (same length, same times) and checks again.
  panel.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest("button[data-date]") : null;
    if (!button) {
      return;
    }
    event.preventDefault();
    var day = button.getAttribute("data-date");
    var allDay = field("all_day");
    if (allDay && allDay.checked) {
      var first = field("first_day");
      var last = field("last_day");
      var length = first.value && last.value ? Math.max(0, daysBetween(first.value, last.value)) : 0;
      first.value = day;
      last.value = shift(day, length);
    } else {
      var start = field("day");
      var end = field("end_day");
      if (end && end.value && start.value) {
        end.value = shift(day, daysBetween(start.value, end.value));
      }
      start.value = day;
    }
    check();
    var target = allDay && allDay.checked ? field("first_day") : field("day");
    if (target) {
      target.focus();
    }
  });
})();
