// Keeps a page current: when the server says a new commit was folded, re-fetch this
// page and swap in its <main> (unless it was computed at the same stream position).
// Done buttons disable themselves once clicked.
(function () {
  var main = document.getElementById("main"), busy = false, again = false, leaving = false;
  document.addEventListener("submit", function (e) {
    if (e.target.method === "post") { leaving = true; e.target.querySelectorAll("button").forEach(function (b) { b.disabled = true; }); }
  });
  function refresh() {
    if (leaving) return;
    if (busy) { again = true; return; }
    busy = true;
    fetch(location.href, { credentials: "same-origin" }).then(function (r) { return r.ok ? r.text() : ""; }).then(function (t) {
      var m = new DOMParser().parseFromString(t, "text/html").getElementById("main");
      if (m && !leaving && m.dataset.seq !== main.dataset.seq) { main.innerHTML = m.innerHTML; main.dataset.seq = m.dataset.seq; }
    }).catch(function () {}).finally(function () { busy = false; if (again) { again = false; refresh(); } });
  }
  if (main && window.EventSource) {
    new EventSource("/events/changes?since=" + encodeURIComponent(main.dataset.seq || "")).addEventListener("change", refresh);
  }
})();
