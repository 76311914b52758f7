/* The sidebar as a menu on phones: the header's menu button opens and closes it.
   One delegated listener, so pages swapped in by htmx need nothing more. Without
   this script the sidebar simply stays open above the page. */
(function () {
  if (window.jiliMenu) return;
  window.jiliMenu = true;
  document.documentElement.classList.add("js-menu");
  function toggle(button, open) {
    var nav = document.getElementById(button.getAttribute("aria-controls"));
    if (!nav) return;
    button.setAttribute("aria-expanded", open ? "true" : "false");
    nav.classList.toggle("open", open);
  }
  function closeAll() {
    var open = document.querySelectorAll('.menu-toggle[aria-expanded="true"]');
    for (var i = 0; i < open.length; i++) toggle(open[i], false);
  }
  document.addEventListener("click", function (e) {
    if (!e.target.closest) return;
    var button = e.target.closest(".menu-toggle");
    if (button) toggle(button, button.getAttribute("aria-expanded") !== "true");
    else if (e.target.closest(".sidebar a")) closeAll(); // the next page opens with it closed
  });
  // htmx carries an element's old classes over a swap for a moment: close after it too
  document.addEventListener("htmx:afterSettle", function () {
    var nav = document.getElementById("sidebar");
    var button = document.querySelector(".menu-toggle");
    if (nav && button && button.getAttribute("aria-expanded") !== "true") nav.classList.remove("open");
  });
  document.addEventListener("keydown", function (e) {
    var button = document.querySelector('.menu-toggle[aria-expanded="true"]');
    if (e.key === "Escape" && button) {
      toggle(button, false);
      button.focus();
    }
  });
})();
