/* Reads a product QR code with the phone camera and submits it through #scan-form.
   Markup: <video id="scanner-video">, <button id="scanner-start" hidden>,
   <p id="scanner-status" role="status">, and a form #scan-form with input[name=code]
   (the manual entry that works without JavaScript). Uses BarcodeDetector when the browser
   has it, else jsQR, loaded from static/vendor only when needed. */
(function () {
  "use strict";

  var SCAN_INTERVAL_MS = 150;
  var MAX_FRAME_WIDTH = 640;
  var CLAIM_PATH = /\/s\/([^/?#]+)\/?$/;
  var ownSrc = document.currentScript ? document.currentScript.src : "";

  var stream = null;
  var timer = null;
  var reader = null;
  var starting = false;
  var submitted = false;
  var lastRejected = "";

  /* English text in, the page's language out (app.js); English when app.js is missing. */
  function t(text, values) {
    if (window.pageText) return window.pageText(text, values);
    return text.replace("%(code)s", (values || {}).code || "");
  }

  function $(id) { return document.getElementById(id); }

  function setStatus(text) {
    var status = $("scanner-status");
    if (status) status.textContent = text;
  }

  function setButton(running) {
    var button = $("scanner-start");
    if (!button) return;
    if (!button.hasAttribute("data-start-label")) button.setAttribute("data-start-label", button.textContent.trim());
    button.textContent = running ? (button.getAttribute("data-stop-label") || t("Stop camera")) : button.getAttribute("data-start-label");
    button.setAttribute("aria-pressed", running ? "true" : "false");
  }

  /* The code inside a decoded value: ".../s/<code>" or the bare code. Null when it is
     a link to something else. */
  function extractCode(text) {
    var value = (text || "").trim();
    if (/^https?:\/\//i.test(value)) {
      try {
        var match = new URL(value).pathname.match(CLAIM_PATH);
        return match ? decodeURIComponent(match[1]) : null;
      } catch (e) {
        return null;
      }
    }
    // A bare code is one short word; anything else is some other QR code.
    return value && value.length <= 128 && !/\s/.test(value) ? value : null;
  }

  /* Decoders ------------------------------------------------------------------ */

  function loadScript(src) {
    return new Promise(function (resolve, reject) {
      var script = document.createElement("script");
      script.src = src;
      script.onload = resolve;
      script.onerror = reject;
      document.head.appendChild(script);
    });
  }

  function jsQRUrl() {
    var video = $("scanner-video");
    var explicit = video && video.getAttribute("data-jsqr-src");
    return explicit || ownSrc.replace(/js\/scanner\.js(\?.*)?$/, "vendor/jsQR.min.js");
  }

  function nativeReader() {
    if (!("BarcodeDetector" in window)) return Promise.resolve(null);
    return window.BarcodeDetector.getSupportedFormats().then(function (formats) {
      if (formats.indexOf("qr_code") === -1) return null;
      var detector = new window.BarcodeDetector({ formats: ["qr_code"] });
      return function (video) {
        return detector.detect(video).then(function (codes) {
          return codes.length ? codes[0].rawValue : null;
        });
      };
    }, function () { return null; });
  }

  function canvasReader() {
    var ready = window.jsQR ? Promise.resolve() : loadScript(jsQRUrl());
    return ready.then(function () {
      var canvas = document.createElement("canvas");
      var context = canvas.getContext("2d", { willReadFrequently: true });
      return function (video) {
        var scale = Math.min(1, MAX_FRAME_WIDTH / video.videoWidth);
        canvas.width = Math.round(video.videoWidth * scale);
        canvas.height = Math.round(video.videoHeight * scale);
        context.drawImage(video, 0, 0, canvas.width, canvas.height);
        var frame = context.getImageData(0, 0, canvas.width, canvas.height);
        var result = window.jsQR(frame.data, frame.width, frame.height, { inversionAttempts: "dontInvert" });
        return Promise.resolve(result ? result.data : null);
      };
    });
  }

  function getReader() {
    if (reader) return Promise.resolve(reader);
    return nativeReader().then(function (found) {
      return found || canvasReader();
    }).then(function (found) {
      reader = found;
      return reader;
    });
  }

  /* Camera ----------------------------------------------------------------------- */

  function stop(message) {
    window.clearTimeout(timer);
    timer = null;
    if (stream) {
      stream.getTracks().forEach(function (track) { track.stop(); });
      stream = null;
    }
    var video = $("scanner-video");
    if (video) {
      video.srcObject = null;
      var frame = video.closest(".scanner");
      if (frame) frame.classList.remove("scanner--live");
    }
    setButton(false);
    if (message) setStatus(message);
  }

  function cameraErrorMessage(error) {
    var name = error && error.name;
    if (name === "NotAllowedError" || name === "SecurityError") {
      return t("Camera access was blocked. Allow the camera in your browser settings, or type the code below.");
    }
    if (name === "NotFoundError" || name === "OverconstrainedError") {
      return t("We couldn't find a camera on this device. Type the code below instead.");
    }
    if (name === "NotReadableError") {
      return t("Your camera is busy in another app. Close it and try again, or type the code below.");
    }
    return t("We couldn't start the camera. Type the code below instead.");
  }

  function focusManualEntry() {
    var form = $("scan-form");
    var input = form && form.querySelector('input[name="code"]');
    if (input) input.focus();
  }

  function start() {
    var video = $("scanner-video");
    if (!video || stream || starting) return;
    starting = true;
    submitted = false;
    lastRejected = "";
    setStatus(t("Starting the camera…"));
    getReader().then(function () {
      return navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" }, audio: false });
    }).then(function (camera) {
      stream = camera;
      if (document.hidden) return stop();
      video.setAttribute("playsinline", "");
      video.muted = true;
      video.srcObject = stream;
      var frame = video.closest(".scanner");
      if (frame) frame.classList.add("scanner--live"); // shown before play(): iOS won't play a hidden video
      return video.play().then(function () {
        setButton(true);
        setStatus(t("Point your camera at the QR code on the package."));
        tick();
      });
    }).catch(function (error) {
      stop(error && error.name ? cameraErrorMessage(error) : t("This browser can't read QR codes. Type the code below instead."));
      focusManualEntry();
    }).then(function () {
      starting = false;
    });
  }

  function tick() {
    var video = $("scanner-video");
    if (!stream || !video || !video.isConnected) return stop();
    if (video.readyState < video.HAVE_CURRENT_DATA || !video.videoWidth) {
      timer = window.setTimeout(tick, SCAN_INTERVAL_MS);
      return;
    }
    reader(video).then(function (text) {
      if (!stream || submitted) return;
      if (text) handleDecoded(text);
      if (stream) timer = window.setTimeout(tick, SCAN_INTERVAL_MS);
    }, function () {
      if (stream) timer = window.setTimeout(tick, SCAN_INTERVAL_MS);
    });
  }

  function handleDecoded(text) {
    var code = extractCode(text);
    if (!code) {
      if (text !== lastRejected) {
        lastRejected = text;
        setStatus(t("That QR code isn't a rewards code. Try the one on the product package."));
      }
      return;
    }
    var form = $("scan-form");
    var input = form && form.querySelector('input[name="code"]');
    if (!input) return;
    submitted = true;
    stop(t("Code found: %(code)s. Checking it…", { code: code }));
    input.value = code;
    if (typeof form.requestSubmit === "function") {
      form.requestSubmit();
    } else {
      form.submit();
    }
  }

  /* Wiring ------------------------------------------------------------------------- */

  function init() {
    var button = $("scanner-start");
    if (!button) return;
    var supported = navigator.mediaDevices && navigator.mediaDevices.getUserMedia && window.isSecureContext;
    if (!supported) {
      setStatus(t("Type the code printed under the QR code."));
      return;
    }
    button.hidden = false;
    setButton(Boolean(stream));
  }

  document.addEventListener("click", function (event) {
    if (!event.target.closest("#scanner-start")) return;
    event.preventDefault();
    if (stream) {
      stop(t("Camera off."));
    } else {
      start();
    }
  });

  document.addEventListener("visibilitychange", function () {
    if (document.hidden && stream) stop(t("Camera paused. Tap the button to scan again."));
  });
  window.addEventListener("pagehide", function () { stop(); });
  document.addEventListener("htmx:beforeHistorySave", function () { stop(); });
  document.addEventListener("htmx:load", init);

  init();
})();
