// Progressive enhancement only: on wide screens the filter panel starts open.
(function () {
  "use strict";
  var filters = document.getElementById("filters");
  if (filters && !filters.hasAttribute("data-collapsed") && window.matchMedia && window.matchMedia("(min-width: 60em)").matches) {
    filters.open = true;
  }
})();
