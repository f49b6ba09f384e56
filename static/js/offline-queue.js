/* Codes scanned without a signal, kept in IndexedDB until they can be claimed. Shared by the
   pages (offline-scan.js) and the service worker (importScripts), so either can claim them.
   One record per code (the code is the key): a code saved twice is claimed once. Claiming
   takes the records out in one transaction, so a page and the worker never both send one. */
(function (scope) {
  "use strict";

  var DB_NAME = "cannarewards-offline";
  var STORE = "codes";

  function normalise(code) {
    return String(code || "").toUpperCase().replace(/[^A-Z0-9]/g, "");
  }

  function open() {
    return new Promise(function (resolve, reject) {
      var request = scope.indexedDB.open(DB_NAME, 1);
      request.onupgradeneeded = function () {
        request.result.createObjectStore(STORE, { keyPath: "code" });
      };
      request.onsuccess = function () { resolve(request.result); };
      request.onerror = function () { reject(request.error); };
    });
  }

  function run(mode, work) {
    return open().then(function (db) {
      return new Promise(function (resolve, reject) {
        var tx = db.transaction(STORE, mode);
        var result = work(tx.objectStore(STORE));
        tx.oncomplete = function () { db.close(); resolve(result && "value" in result ? result.value : undefined); };
        tx.onerror = function () { db.close(); reject(tx.error); };
        tx.onabort = function () { db.close(); reject(tx.error); };
      });
    });
  }

  /* Keep `code` to claim at `url` later, with the form's CSRF token. */
  function save(code, url, csrfToken) {
    var record = { code: normalise(code), url: url, csrf: csrfToken || "", savedAt: Date.now() };
    return run("readwrite", function (store) { store.put(record); }).then(function () { return record; });
  }

  /* Every saved code, removed from the store in the same transaction. */
  function takeAll() {
    return run("readwrite", function (store) {
      var box = {};
      var request = store.getAll();
      request.onsuccess = function () {
        box.value = request.result;
        store.clear();
      };
      return box;
    });
  }

  /* Put back codes that could not be claimed yet. */
  function putBack(records) {
    return run("readwrite", function (store) {
      records.forEach(function (record) { store.put(record); });
    });
  }

  function count() {
    return run("readonly", function (store) {
      var box = {};
      var request = store.count();
      request.onsuccess = function () { box.value = request.result; };
      return box;
    });
  }

  /* POST one saved code as htmx would; resolves to {claimed, html, trigger} or {retry}. */
  function claim(record, csrfToken) {
    var body = new URLSearchParams({ code: record.code });
    return fetch(record.url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "HX-Request": "true", "X-CSRFToken": csrfToken || record.csrf },
      body: body,
    }).then(function (response) {
      // An expired form (400), a signed-out session (redirect), slow-down (429) or trouble on
      // our side: keep the code for the next try.
      if (response.redirected || response.status === 400 || response.status === 429 || response.status >= 500) {
        return { retry: true };
      }
      return response.text().then(function (html) {
        return { claimed: true, html: html, trigger: response.headers.get("HX-Trigger") };
      });
    }, function () { return { retry: true }; });
  }

  /* Claim every saved code; `csrfToken` (a page's fresh one) wins over the saved ones. */
  function claimAll(csrfToken) {
    return takeAll().then(function (records) {
      return Promise.all((records || []).map(function (record) { return claim(record, csrfToken); }))
        .then(function (answers) {
          var again = (records || []).filter(function (record, index) { return answers[index].retry; });
          var done = answers.filter(function (answer) { return answer.claimed; });
          return (again.length ? putBack(again) : Promise.resolve()).then(function () {
            return { claimed: done, waiting: again.length };
          });
        });
    });
  }

  scope.OfflineQueue = { save: save, takeAll: takeAll, putBack: putBack, count: count, claimAll: claimAll, normalise: normalise };
})(self);
