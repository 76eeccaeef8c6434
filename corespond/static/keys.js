// Keyboard shortcuts for people who work a shift at the keyboard (dispatchers first).
// A page declares its shortcuts on the controls themselves: data-key="n" (and
// aria-keyshortcuts for assistive technology). A link or button is activated; a field gets
// the focus. "?" lists the shortcuts of the page. Nothing fires while typing in a field or
// with Ctrl, Alt or Meta held, so the browser's and screen readers' own keys keep working.
(function () {
  "use strict";
  function typing(el) {
    if (!el) return false;
    const tag = el.tagName;
    return el.isContentEditable || tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT";
  }
  function label(el) {
    return (el.getAttribute("aria-label") || el.dataset.keyLabel || el.textContent || "")
      .replace(/\s+/g, " ").trim();
  }
  function showHelp() {
    const dialog = document.getElementById("keys-help");
    const list = document.getElementById("keys-help-list");
    if (!dialog || !list) return;
    list.textContent = "";
    const rows = [["?", "Show this list"]];
    document.querySelectorAll("[data-key]").forEach(function (el) {
      rows.push([el.dataset.key, label(el)]);
    });
    rows.forEach(function (row) {
      const tr = document.createElement("tr");
      const key = document.createElement("td");
      const kbd = document.createElement("kbd");
      kbd.textContent = row[0];
      key.appendChild(kbd);
      const what = document.createElement("td");
      what.textContent = row[1];
      tr.appendChild(key);
      tr.appendChild(what);
      list.appendChild(tr);
    });
    dialog.showModal();
  }
  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.altKey || event.metaKey || event.defaultPrevented) return;
    if (typing(event.target)) return;
    if (document.querySelector("dialog[open]")) return;
    if (event.key === "?") {
      event.preventDefault();
      showHelp();
      return;
    }
    const target = document.querySelector('[data-key="' + CSS.escape(event.key) + '"]');
    if (!target) return;
    event.preventDefault();
    if (typing(target)) {
      target.focus();
    } else {
      target.click();
    }
  });
})();
