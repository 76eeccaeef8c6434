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
