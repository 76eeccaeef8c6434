// Small page behaviours that must not live in inline handlers (the Content Security Policy
// allows scripts from files only).
(function () {
  "use strict";
  // A select marked data-autosubmit sends its form when changed (the list filters).
  document.addEventListener("change", function (event) {
    const el = event.target;
    if (el && el.matches && el.matches("select[data-autosubmit]") && el.form) el.form.submit();
  });

  // Tell the server the user is active (keyboard, pointer, touch, scrolling), at most once a
  // minute, so that reading a live board is not "idle" while a page left alone still times
  // out (CORESPOND_IDLE_TIMEOUT_MINUTES).
  const url = document.querySelector('meta[name="activity-url"]');
  const token = document.querySelector('meta[name="csrf-token"]');
  if (!url || !token) return;
  let last = Date.now();
  function active() {
    if (Date.now() - last < 60000) return;
    last = Date.now();
    fetch(url.content, {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRFToken": token.content },
    }).then(function (response) {
      if (response.status === 401) window.location.reload();
    }).catch(function () {});
  }
  ["keydown", "pointerdown", "pointermove", "touchstart", "scroll"].forEach(function (name) {
    window.addEventListener(name, active, { passive: true });
  });
})();

// Print buttons (no inline handlers under the Content Security Policy).
document.addEventListener("click", function (event) {
  const button = event.target.closest && event.target.closest("[data-print]");
  if (button) window.print();
});
