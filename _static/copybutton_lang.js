// The copy buttons' words ("Copy to clipboard", translated in an edition) are the page's
// language, also inside a quoted original marked lang="ru|zh|bn" (a screen reader reads them in
// the right voice). sphinx-copybutton adds the buttons when the document is ready.
window.addEventListener("load", function () {
  var lang = document.documentElement.lang;
  document.querySelectorAll(".copybtn").forEach(function (button) {
    button.setAttribute("lang", lang);
  });
});
