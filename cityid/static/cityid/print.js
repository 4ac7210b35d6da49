// A button that prints the page (buttons marked data-print); kept in a file for the Content-Security-Policy.
document.querySelectorAll("[data-print]").forEach(function (button) {
  button.hidden = false;
  button.addEventListener("click", function () { window.print(); });
});
