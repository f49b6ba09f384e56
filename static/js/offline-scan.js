/* Scanning without a signal: the scan form keeps the code (offline-queue.js) and says so;
   the service worker claims it with Background Sync, or this page does when the signal is
   back (the `online` event) or on the next visit, where Background Sync is missing. */
(function () {
  "use strict";

  var queue = self.OfflineQueue;
  if (!queue || !("indexedDB" in window)) return;

  var SYNC_TAG = "claim-codes";

  function csrfToken() {
    try {
      return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || "";
    } catch (error) {
      return "";
    }
  }

  function scanForm() {
    return document.getElementById("scan-form");
  }

  function showSaved(form) {
    var result = document.getElementById("scan-result");
    if (!result) return;
    var note = document.createElement("div");
    note.className = "alert alert--info";
    note.id = "offline-saved";
    note.setAttribute("role", "status");
    note.textContent = form.getAttribute("data-offline-saved") || "";
    result.replaceChildren(note);
  }

  function askForSync() {
    if (!("serviceWorker" in navigator)) return;
    navigator.serviceWorker.ready.then(function (registration) {
      if (registration.sync) return registration.sync.register(SYNC_TAG);
      return null;
    }).catch(function () { /* the page claims it on `online` or the next visit */ });
  }

  function keep(form) {
    var input = form.querySelector("[name=code]");
    var code = input ? input.value : "";
    if (!queue.normalise(code)) return;
    queue.save(code, form.getAttribute("action"), csrfToken()).then(function () {
      showSaved(form);
      if (input) input.value = "";
      askForSync();
    });
  }

  /* A claim's answer, shown as htmx would have: the result card (and its toast) on the
     scan page, the toast alone elsewhere; the header's balance follows. */
  function show(answer) {
    if (!answer || !answer.html || !window.htmx) return;
    var target = document.getElementById("scan-result");
    if (target) {
      window.htmx.swap(target, answer.html, { swapStyle: "outerHTML" });
    } else {
      window.htmx.swap(document.getElementById("toast-region"), answer.html, { swapStyle: "none" });
    }
    if (answer.trigger) {
      try {
        var events = JSON.parse(answer.trigger);
        Object.keys(events).forEach(function (name) {
          window.htmx.trigger(document.body, name, events[name]);
        });
      } catch (error) { /* no header update; the next page shows the balance */ }
    }
  }

  function claimSaved() {
    if (!navigator.onLine) return;
    queue.claimAll(csrfToken()).then(function (outcome) {
      outcome.claimed.forEach(show);
    }).catch(function () { /* kept for the next try */ });
  }

  document.addEventListener("htmx:beforeRequest", function (event) {
    var form = scanForm();
    if (!form || event.detail.elt !== form || navigator.onLine) return;
    event.preventDefault();
    keep(form);
  });

  document.addEventListener("htmx:sendError", function (event) {
    var form = scanForm();
    if (form && event.detail.elt === form) keep(form);
  });

  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.addEventListener("message", function (event) {
      var data = event.data || {};
      if (data.type === "offline-claimed") show(data);
    });
  }

  window.addEventListener("online", claimSaved);
  claimSaved();
})();
