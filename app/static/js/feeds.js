// Feed builder, progressive enhancement: without this file the form is a plain GET form.
// With it, ticking a box reloads only the result (address, QR code, preview) from the
// server, which stays the one place that knows feed addresses (site.js copies them).
(function () {
  "use strict";
  var form = document.getElementById("feed-form");
  var status = document.getElementById("feed-status");
  if (!form || !status) { return; }

  function announce(text) {
    status.textContent = "";
    window.setTimeout(function () { status.textContent = text; }, 50);
  }

  function showCopyButtons(root) {
    root.querySelectorAll("button[data-copy]").forEach(function (button) {
      button.hidden = false;
    });
  }

  var latest = 0;
  function update(reveal) {
    var query = new URLSearchParams(new FormData(form)).toString();
    var url = form.getAttribute("action") + (query ? "?" + query : "");
    var ticket = ++latest;
    var result = document.getElementById("feed-result");
    result.setAttribute("aria-busy", "true");
    fetch(url, { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (response) { return response.text(); })
      .then(function (html) {
        if (ticket !== latest) { return; }  // an answer to an older choice
        var fresh = new DOMParser().parseFromString(html, "text/html").getElementById("feed-result");
        if (!fresh) { throw new Error("no result in the answer"); }
        var current = document.getElementById("feed-result");
        var adopted = document.importNode(fresh, true);
        showCopyButtons(adopted);
        current.replaceWith(adopted);
        window.history.replaceState(null, "", url);
        announce(form.dataset.updated);
        foldFilters(fresh.ownerDocument, reveal);
        if (reveal) {
          var heading = adopted.querySelector("h2");
          heading.setAttribute("tabindex", "-1");
          heading.focus();
          adopted.scrollIntoView({ block: "start" });
        }
      })
      .catch(function () {
        if (ticket === latest) { form.submit(); }  // fall back to the plain form
      });
  }

  // On a phone the chosen filters fold into their summary ("3 filters active · change"),
  // so that the address the button asked for is what comes next.
  function foldFilters(freshDocument, fold) {
    var panel = document.getElementById("feed-filters");
    var summary = freshDocument.querySelector("#feed-filters > summary");
    if (!panel || !summary) { return; }
    panel.querySelector("summary").replaceWith(document.importNode(summary, true));
    if (fold && !window.matchMedia("(min-width: 60em)").matches) { panel.open = false; }
  }

  form.addEventListener("change", function (event) {
    if (event.target.matches("input[type=checkbox], select")) { update(false); }
  });
  // The button stays: on a phone the result is below the form, so it takes you there.
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    update(true);
  });
  document.addEventListener("focusin", function (event) {
    if (event.target.matches("#feed-result input[readonly]")) { event.target.select(); }
  });
})();
