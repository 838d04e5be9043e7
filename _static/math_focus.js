// A display equation wider than the column scrolls sideways; a keyboard user can only scroll it
// if it can take the focus. (MathJax's context menu, which the site does not load, used to make
// every equation focusable.) Once the math is typeset (when the site was built, or by MathJax in
// the browser), and again when the window is resized, each display equation that overflows gets
// tabindex="0" and a name; the others get neither.
(function () {
  // An inline formula wider than its line (a long product of Jacobians on a phone) cannot
  // wrap: it becomes a box of its own that scrolls sideways, and takes the focus like a display one.
  function inline() {
    document.querySelectorAll('mjx-container:not([display="true"])').forEach(function (el) {
      var block = el.parentElement;
      while (block && getComputedStyle(block).display === "inline") block = block.parentElement;
      if (!block) return;
      el.classList.remove("math-scrolls");
      if (el.getBoundingClientRect().width > block.clientWidth + 1) {
        el.classList.add("math-scrolls");
        el.setAttribute("tabindex", "0");
        if (!el.hasAttribute("aria-label")) el.setAttribute("aria-label", "formula (scrolls sideways)");
      } else if (el.getAttribute("tabindex") === "0") {
        el.removeAttribute("tabindex");
        el.removeAttribute("aria-label");
      }
    });
  }
  function mark() {
    inline();
    document.querySelectorAll('mjx-container[display="true"]').forEach(function (el) {
      if (el.scrollWidth > el.clientWidth + 1) {
        el.setAttribute("tabindex", "0");
        if (!el.hasAttribute("aria-label")) el.setAttribute("aria-label", "equation (scrolls sideways)");
      } else if (el.getAttribute("tabindex") === "0") {
        el.removeAttribute("tabindex");
        el.removeAttribute("aria-label");
      }
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    var mj = window.MathJax;
    if (mj && mj.startup && mj.startup.promise) mj.startup.promise.then(mark);
    else { mark(); window.addEventListener("load", mark); }
    window.addEventListener("resize", mark);
  });
})();
