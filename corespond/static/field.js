// Field page: when the responder has chosen to share location, each time-stamp tap carries
// the phone's position so the dispatch board shows where the team is. The choice is kept on
// this phone only. Without a position (refused, no fix within 4 s, no secure context) the tap
// goes through anyway: a time stamp must never wait on GPS.
(function () {
  "use strict";
  var KEY = "corespond.sharePosition";
  var box = document.getElementById("share-position");
  if (!box) return;
  if (!("geolocation" in navigator)) {
    box.disabled = true;
    return;
  }
  box.checked = window.localStorage.getItem(KEY) === "1";
  box.addEventListener("change", function () {
    window.localStorage.setItem(KEY, box.checked ? "1" : "0");
  });
  document.querySelectorAll("form[data-stamp]").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (!box.checked || form.dataset.located) return;
      event.preventDefault();
      var send = function () {
        form.dataset.located = "1";
        form.submit();
      };
      navigator.geolocation.getCurrentPosition(
        function (pos) {
          form.elements.latitude.value = pos.coords.latitude.toFixed(5);
          form.elements.longitude.value = pos.coords.longitude.toFixed(5);
          send();
        },
        send,
        { enableHighAccuracy: true, timeout: 4000, maximumAge: 60000 }
      );
    });
  });
})();

// C-SSRS skip logic (field/cssrs.py has the same rule, and the server enforces it): items 3
// to 5 only when 2 is yes, 6b only when 6 is yes. Hidden items are cleared so that a changed
// answer never leaves a stale one behind.
(function () {
  "use strict";
  const form = document.querySelector("form[data-cssrs]");
  if (!form) return;
  function answer(item) {
    const checked = form.querySelector('input[name="' + item + '"]:checked');
    return checked ? checked.value : "";
  }
  function update() {
    const asked = { q1: true, q2: true, q6: true };
    if (answer("q2") === "yes") { asked.q3 = asked.q4 = asked.q5 = true; }
    if (answer("q6") === "yes") { asked.q6b = true; }
    form.querySelectorAll("fieldset[data-item]").forEach(function (set) {
      const show = Boolean(asked[set.dataset.item]);
      set.hidden = !show;
      if (!show) set.querySelectorAll("input").forEach(function (i) { i.checked = false; });
    });
  }
  form.addEventListener("change", update);
  update();
})();

// Autosave of the encounter record: what the user types is sent to the server a moment after
// they stop typing, so a reload or a lost phone loses nothing. Without a connection the draft
// waits in this tab (sessionStorage, gone when the tab closes) and is sent when the
// connection returns.
(function () {
  "use strict";
  const form = document.querySelector("form[data-draft-url]");
  const token = document.querySelector('meta[name="csrf-token"]');
  if (!form || !token) return;
  const status = form.querySelector("[data-draft-status]");
  const key = form.dataset.draftKey;
  let timer = null;
  function values() {
    const out = {};
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!el.name || el.type === "hidden" || el.type === "submit") return;
      out[el.name] = el.type === "checkbox" ? (el.checked ? "True" : "False") : el.value;
    });
    return out;
  }
  function say(text) { if (status) status.textContent = text; }
  function send() {
    const body = JSON.stringify({ values: values() });
    window.sessionStorage.setItem(key, body);
    fetch(form.dataset.draftUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": token.content },
      body: body,
    }).then(function (response) {
      if (!response.ok) throw new Error(String(response.status));
      window.sessionStorage.removeItem(key);
      const now = new Date();
      say("Draft saved " + now.toTimeString().slice(0, 5));
    }).catch(function () {
      say("No connection: your changes are kept on this phone and sent when it returns.");
    });
  }
  function later() {
    window.clearTimeout(timer);
    timer = window.setTimeout(send, 800);
  }
  form.addEventListener("input", later);
  form.addEventListener("change", later);
  form.addEventListener("submit", function () {
    window.clearTimeout(timer);
    window.sessionStorage.removeItem(key);
  });
  window.addEventListener("online", function () {
    if (window.sessionStorage.getItem(key)) send();
  });
  // A draft that never reached the server (offline reload): put it back and send it.
  const pending = window.sessionStorage.getItem(key);
  if (pending) {
    try {
      const saved = JSON.parse(pending).values || {};
      Object.keys(saved).forEach(function (name) {
        const el = form.elements[name];
        if (!el) return;
        if (el.type === "checkbox") el.checked = saved[name] === "True";
        else el.value = saved[name];
      });
      say("Restored changes kept on this phone; sending them now.");
      send();
    } catch (e) {
      window.sessionStorage.removeItem(key);
    }
  }
})();
