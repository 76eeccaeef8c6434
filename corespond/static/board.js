// The live dispatch board: the server sends an event when the board changes; the board then
// fetches its new body through htmx. Without EventSource it falls back to polling (30 s).
(function () {
  const board = document.getElementById("board");
  const status = document.getElementById("live-status");
  if (!board || !window.EventSource) return;
  const source = new EventSource(board.dataset.events);
  source.addEventListener("board", function (event) {
    // The page was rendered at data-version; only a different version needs a refresh.
    if (event.data === board.dataset.version) return;
    board.dataset.version = event.data;
    htmx.trigger(board, "board-changed");
  });
  source.onopen = function () { status.textContent = "Live: updates as they happen."; };
  source.onerror = function () { status.textContent = "Reconnecting to live updates..."; };
})();
