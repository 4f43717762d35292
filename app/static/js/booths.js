// Booth pages: ask before a destructive step, tick all bookings at once.
// Without JavaScript the server asks on a page of its own; with it, a dialog asks and
// the form says so (confirmed=1), so the page is skipped.
(function () {
  "use strict";

  function confirmed(form, question) {
    if (!window.confirm(question)) {
      return false;
    }
    var flag = form.querySelector("input[name=confirmed]");
    if (flag) {
      flag.value = "1";
    }
    return true;
  }

  // Single steps: <form data-confirm="Cancel this booking?"> with a hidden "confirmed".
  document.querySelectorAll("form[data-confirm]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (!confirmed(form, form.getAttribute("data-confirm"))) {
        event.preventDefault();
      }
    });
  });

  // The organisers' bulk form: the question names the action and how many are ticked.
  var bulk = document.getElementById("bulk");
  if (bulk) {
    bulk.addEventListener("submit", function (event) {
      var action = bulk.querySelector("select[name=action]");
      var destructive = (bulk.getAttribute("data-destructive") || "").split(" ");
      if (!action || destructive.indexOf(action.value) < 0) {
        return;
      }
      var ticked = document.querySelectorAll("input[name=booking_ids][form=bulk]:checked").length;
      var reason = bulk.querySelector("textarea[name=reason]");
      var needsReason = action.value === "reject" || action.value === "cancel";
      if (!ticked || (needsReason && reason && !reason.value.trim())) {
        return; // the server explains what is missing
      }
      var label = action.options[action.selectedIndex].text;
      var question = bulk.getAttribute("data-confirm-template")
        .replace("{action}", label).replace("{count}", String(ticked));
      if (!confirmed(bulk, question)) {
        event.preventDefault();
      }
    });
  }

  document.querySelectorAll("input[data-select-all]").forEach(function (all) {
    var name = all.getAttribute("data-select-all");
    all.hidden = false;
    all.addEventListener("change", function () {
      document.querySelectorAll("input[name='" + name + "']").forEach(function (box) {
        box.checked = all.checked;
      });
    });
  });
})();
