// A button marked data-print prints the page (the applicant's receipt). No inline script: the
// Content-Security-Policy allows only files like this one.
(function () {
  "use strict";
  document.querySelectorAll("[data-print]").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () {
      window.print();
    });
  });
})();
