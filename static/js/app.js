/* Progressive enhancement for every page. Pages work without it; this adds the offline
   shell, live balance updates from htmx responses, copy/share buttons and toasts. */
(function () {
  "use strict";

  var TOAST_MS = 5000;

  /* The page's language: English text in, the translation from the page's meta tag out;
     "%(name)s" places are filled from `values`. Other scripts use it as window.pageText. */
  var pageWords = null;

  function pageText(text, values) {
    if (pageWords === null) {
      var block = document.querySelector("meta[name=page-text]");
      try { pageWords = block ? JSON.parse(block.getAttribute("content")) : {}; } catch (error) { pageWords = {}; }
    }
    var said = pageWords[text] || text;
    Object.keys(values || {}).forEach(function (name) {
      said = said.split("%(" + name + ")s").join(values[name]);
    });
    return said;
  }
  window.pageText = pageText;
  var FEEDBACK_MS = 2500;

  /* Offline shell ------------------------------------------------------------ */

  function registerServiceWorker() {
    if (!("serviceWorker" in navigator) || !window.isSecureContext) return;
    var url = document.documentElement.getAttribute("data-sw-url") || "/sw.js";
    window.addEventListener("load", function () {
      navigator.serviceWorker.register(url).catch(function () {
        /* The site works without it; nothing to tell the person. */
      });
    });
  }

  /* Announcements ------------------------------------------------------------ */

  var liveRegion = null;

  function announce(text) {
    if (!liveRegion) {
      liveRegion = document.createElement("div");
      liveRegion.className = "visually-hidden";
      liveRegion.setAttribute("role", "status");
      document.body.appendChild(liveRegion);
    }
    liveRegion.textContent = "";
    // A fresh text node after a tick makes screen readers read repeated messages.
    window.setTimeout(function () { liveRegion.textContent = text; }, 50);
  }

  function showAlert(text) {
    var area = document.getElementById("flash-messages");
    if (!area) return announce(text);
    var alert = document.createElement("div");
    alert.className = "alert alert--error";
    alert.setAttribute("role", "alert");
    alert.textContent = text;
    area.replaceChildren(alert);
    area.scrollIntoView({ block: "nearest" });
  }

  /* Balance and rank in the header ------------------------------------------ */

  function onPointsChanged(event) {
    var detail = event.detail || {};
    var balance = document.getElementById("points-balance");
    if (balance && detail.balance !== undefined && detail.balance !== null) {
      var value = Number(detail.balance);
      balance.textContent = detail.balance_display || value.toLocaleString("en-US");
      balance.setAttribute("data-value", String(value));
      var pill = balance.closest(".balance-pill");
      if (pill) {
        pill.classList.remove("balance-pill--bump");
        void pill.offsetWidth; // restart the animation
        pill.classList.add("balance-pill--bump");
      }
    }
    var rank = document.getElementById("rank-name");
    if (rank && detail.rank_name) rank.textContent = detail.rank_name;
  }

  /* htmx failures: tell the person instead of doing nothing ------------------ */

  var ERROR_MESSAGES = {
    400: "That didn't work — please reload the page and try again.",
    403: "You don't have access to that.",
    404: "We couldn't find that. It may have been removed.",
    413: "That was too large. Please try something smaller.",
    429: "Slow down a little — please try again in a moment."
  };

  function onResponseError(event) {
    var status = event.detail && event.detail.xhr ? event.detail.xhr.status : 0;
    showAlert(pageText(ERROR_MESSAGES[status] || "Something went wrong on our side. Please try again."));
  }

  function onSendError() {
    showAlert(pageText("You seem to be offline. Check your connection and try again."));
  }

  /* Copy and share ----------------------------------------------------------- */

  function copyText(text) {
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(text);
    }
    return new Promise(function (resolve, reject) {
      var area = document.createElement("textarea");
      area.value = text;
      area.setAttribute("readonly", "");
      area.style.position = "fixed";
      area.style.opacity = "0";
      document.body.appendChild(area);
      area.select();
      var ok = false;
      try { ok = document.execCommand("copy"); } catch (e) { ok = false; }
      area.remove();
      if (ok) { resolve(); } else { reject(new Error("copy failed")); }
    });
  }

  function flashButtonLabel(button, text) {
    if (button._originalHTML === undefined) button._originalHTML = button.innerHTML;
    button.textContent = text;
    announce(text);
    window.clearTimeout(button._labelTimer);
    button._labelTimer = window.setTimeout(function () {
      button.innerHTML = button._originalHTML;
      button._originalHTML = undefined;
    }, FEEDBACK_MS);
  }

  function copyFrom(button, text) {
    copyText(text).then(
      function () { flashButtonLabel(button, button.getAttribute("data-copied-label") || pageText("Copied!")); },
      function () { flashButtonLabel(button, pageText("Press and hold the link to copy it")); }
    );
  }

  function onClick(event) {
    var copyButton = event.target.closest("[data-copy]");
    if (copyButton) {
      event.preventDefault();
      copyFrom(copyButton, copyButton.getAttribute("data-copy"));
      return;
    }
    var shareButton = event.target.closest("[data-share-url]");
    if (shareButton) {
      event.preventDefault();
      share(shareButton);
      return;
    }
    if (event.target.closest("[data-print]")) {
      window.print();
      return;
    }
    var closeButton = event.target.closest(".toast__close");
    if (closeButton) dismissToast(closeButton.closest(".toast"));
  }

  /* Forms marked data-confirm ask before they submit. */
  function onSubmit(event) {
    var form = event.target.closest && event.target.closest("form[data-confirm]");
    if (form && !window.confirm(form.getAttribute("data-confirm"))) event.preventDefault();
  }

  /* A rate-limited answer (429) carries a message: forms marked
     data-swap-rate-limited show it like any other result. */
  function onBeforeSwap(event) {
    var detail = event.detail || {};
    var source = detail.elt || event.target;
    if (!detail.xhr || detail.xhr.status !== 429 || !source || !source.closest) return;
    if (source.closest("[data-swap-rate-limited]")) {
      detail.shouldSwap = true;
      detail.isError = false;
    }
  }

  function share(button) {
    var url = button.getAttribute("data-share-url");
    var data = { url: url, title: button.getAttribute("data-share-title") || document.title };
    if (button.hasAttribute("data-share-text")) data.text = button.getAttribute("data-share-text");
    if (navigator.share && (!navigator.canShare || navigator.canShare(data))) {
      navigator.share(data).catch(function (error) {
        if (error && error.name !== "AbortError") copyFrom(button, url);
      });
    } else {
      copyFrom(button, url);
    }
  }

  /* Toasts ------------------------------------------------------------------- */

  function dismissToast(toast) {
    if (!toast || toast.classList.contains("toast--leaving")) return;
    toast.classList.add("toast--leaving");
    var remove = function () { toast.remove(); };
    toast.addEventListener("animationend", remove, { once: true });
    window.setTimeout(remove, 600); // in case animations are off
  }

  function scheduleToasts(root) {
    var toasts = root.querySelectorAll ? Array.prototype.slice.call(root.querySelectorAll(".toast")) : [];
    if (root.classList && root.classList.contains("toast")) toasts.push(root);
    toasts.forEach(function (toast) {
      if (toast.hasAttribute("data-toast-scheduled")) return;
      // One toast at a time: a new one sends the older ones away, so they never pile up.
      document.querySelectorAll(".toast[data-toast-scheduled]").forEach(dismissToast);
      toast.setAttribute("data-toast-scheduled", "");
      var timeout = parseInt(toast.getAttribute("data-timeout"), 10) || TOAST_MS;
      var timer = window.setTimeout(function () { dismissToast(toast); }, timeout);
      // Keep it while someone is reading or focused on it.
      toast.addEventListener("mouseenter", function () { window.clearTimeout(timer); });
      toast.addEventListener("focusin", function () { window.clearTimeout(timer); });
    });
  }

  /* Buttons that need JavaScript ship with `hidden`; show them now. ---------- */

  function revealEnhancements(root) {
    if (!root.querySelectorAll) return;
    root.querySelectorAll("[data-copy][hidden], [data-share-url][hidden]").forEach(function (el) {
      el.hidden = false;
    });
  }

  function enhance(root) {
    revealEnhancements(root);
    scheduleToasts(root);
  }

  registerServiceWorker();
  document.addEventListener("click", onClick);
  document.addEventListener("submit", onSubmit);
  document.body.addEventListener("pointsChanged", onPointsChanged);
  document.body.addEventListener("htmx:beforeSwap", onBeforeSwap);
  document.body.addEventListener("htmx:responseError", onResponseError);
  document.body.addEventListener("htmx:sendError", onSendError);
  document.body.addEventListener("htmx:load", function (event) { enhance(event.detail.elt); });
  enhance(document);
})();
