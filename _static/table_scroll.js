// Tables wider than the column scroll sideways in the theme's container; this marks the containers
// that do (class "scrolls": _static/phone.css fades the side the table continues on) and where
// they are scrolled to ("scrolled" past the start, "at-end"), and lets the keyboard scroll them
// (tabindex). Again when the window is resized.
(function () {
  function update(box) {
    var scrolls = box.scrollWidth > box.clientWidth + 1;
    box.classList.toggle("scrolls", scrolls);
    box.classList.toggle("scrolled", scrolls && box.scrollLeft > 1);
    box.classList.toggle("at-end", scrolls && box.scrollLeft + box.clientWidth >= box.scrollWidth - 1);
    if (scrolls) box.setAttribute("tabindex", "0");
    else if (box.getAttribute("tabindex") === "0") box.removeAttribute("tabindex");
  }
  function all() {
    document.querySelectorAll(".pst-scrollable-table-container").forEach(update);
  }
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll(".pst-scrollable-table-container").forEach(function (box) {
      box.addEventListener("scroll", function () { update(box); }, {passive: true});
    });
    all();
    window.addEventListener("resize", all);
    window.addEventListener("load", all);
  });
})();
