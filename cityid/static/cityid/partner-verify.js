/* The partner page: read a card's QR code (camera or image), check its signature and status here, in the
 * browser, with WebCrypto (ECDSA P-256) against the program's JWK Set and its signed status list.
 * Nothing about the card leaves this page. Wire format: docs/credentials.md.
 *
 * Needs the vendored jsQR (global jsQR) and cbor-x (global CBOR), loaded before this file.
 */
(function () {
  "use strict";

  var config = JSON.parse(document.getElementById("verify-config").textContent);
  var words = config.words;
  var PREFIX = "CID1:";
  var MAX_TEXT = 4096;
  var MAX_FILE_BYTES = 20 * 1024 * 1024;
  var MAX_PIXELS = 40000000;
  var MAX_SIDE = 2000;          // a larger image is scaled down before the code is looked for
  var MAX_LIST_BYTES = 16 * 1024 * 1024;
  var CLAIM_ISS = 1, CLAIM_EXP = 4, CLAIM_CITYID = -65537;
  var FULL = 1, MINIMAL = 2;
  var SPKI_P256 = hex("3059301306072a8648ce3d020106082a8648ce3d030107034200");

  function Refused(reason) { this.reason = reason; }

  function hex(text) {
    var out = new Uint8Array(text.length / 2);
    for (var i = 0; i < out.length; i++) out[i] = parseInt(text.substr(i * 2, 2), 16);
    return out;
  }

  function concat(parts) {
    var size = 0, offset = 0;
    parts.forEach(function (p) { size += p.length; });
    var out = new Uint8Array(size);
    parts.forEach(function (p) { out.set(p, offset); offset += p.length; });
    return out;
  }

  function b64urlDecode(text) {
    if (typeof text !== "string" || !/^[A-Za-z0-9_-]*$/.test(text)) throw new Refused("malformed");
    var b64 = text.replace(/-/g, "+").replace(/_/g, "/");
    while (b64.length % 4) b64 += "=";
    var raw = atob(b64), out = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) out[i] = raw.charCodeAt(i);
    return out;
  }

  function b64urlEncode(bytes) {
    var raw = "";
    for (var i = 0; i < bytes.length; i++) raw += String.fromCharCode(bytes[i]);
    return btoa(raw).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  // Base45 (RFC 9285): three characters for two bytes, least significant first; two for a last byte.
  var B45 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:";
  function base45Decode(text) {
    var values = [], out = [];
    for (var i = 0; i < text.length; i++) {
      var v = B45.indexOf(text.charAt(i));
      if (v < 0) throw new Refused("malformed");
      values.push(v);
    }
    if (values.length % 3 === 1) throw new Refused("malformed");
    for (var j = 0; j < values.length; j += 3) {
      if (j + 2 < values.length) {
        var n = values[j] + values[j + 1] * 45 + values[j + 2] * 2025;
        if (n > 0xffff) throw new Refused("malformed");
        out.push(n >> 8, n & 0xff);
      } else {
        var m = values[j] + values[j + 1] * 45;
        if (m > 0xff) throw new Refused("malformed");
        out.push(m);
      }
    }
    return new Uint8Array(out);
  }

  var decoder = new CBOR.Decoder({mapsAsObjects: false, useRecords: false});
  function cbor(bytes) {
    try {
      return decoder.decode(bytes);
    } catch (e) {
      throw new Refused("malformed");
    }
  }

  function isBytes(v) { return v instanceof Uint8Array; }

  function bstrHeader(length) {
    if (length < 24) return new Uint8Array([0x40 + length]);
    if (length < 256) return new Uint8Array([0x58, length]);
    if (length < 65536) return new Uint8Array([0x59, length >> 8, length & 0xff]);
    return new Uint8Array([0x5a, (length >>> 24) & 0xff, (length >> 16) & 0xff, (length >> 8) & 0xff, length & 0xff]);
  }

  function sigStructure(protectedBytes, payload) {
    return concat([new Uint8Array([0x84, 0x6a]), new TextEncoder().encode("Signature1"),
                   bstrHeader(protectedBytes.length), protectedBytes, new Uint8Array([0x40]),
                   bstrHeader(payload.length), payload]);
  }

  // --- the program's keys (JWK Set) and status list, fetched through the service worker ------------------

  var keySet = null;      // {kid: CryptoKey}
  var statusList = null;  // {bits: Uint8Array, validUntil: Date|null} or {error: true}

  async function importKeys(jwks) {
    var keys = {};
    var entries = (jwks && Array.isArray(jwks.keys)) ? jwks.keys : [];
    for (var i = 0; i < entries.length; i++) {
      var jwk = entries[i];
      if (!jwk || jwk.kty !== "EC" || jwk.crv !== "P-256" || typeof jwk.kid !== "string") continue;
      try {
        var point = concat([SPKI_P256, new Uint8Array([4]), b64urlDecode(jwk.x), b64urlDecode(jwk.y)]);
        var digest = new Uint8Array(await crypto.subtle.digest("SHA-256", point));
        if (b64urlEncode(digest.slice(0, 8)) !== jwk.kid) continue;  // a kid not derived from the key itself
        keys[jwk.kid] = await crypto.subtle.importKey("jwk", {kty: "EC", crv: "P-256", x: jwk.x, y: jwk.y},
          {name: "ECDSA", namedCurve: "P-256"}, false, ["verify"]);
      } catch (e) { /* an entry that does not import is skipped */ }
    }
    return keys;
  }

  async function loadKeys() {
    var response = await fetch(config.keys_url, {credentials: "omit"});
    if (!response.ok) throw new Error("keys " + response.status);
    keySet = await importKeys(await response.json());
    return keySet;
  }

  async function gunzip(bytes) {
    var stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"));
    var reader = stream.getReader(), parts = [], size = 0;
    for (;;) {
      var chunk = await reader.read();
      if (chunk.done) break;
      size += chunk.value.length;
      if (size > MAX_LIST_BYTES) { reader.cancel(); throw new Error("status list too large"); }
      parts.push(chunk.value);
    }
    return concat(parts);
  }

  async function loadStatusList() {
    var response = await fetch(config.status_url, {credentials: "omit"});
    if (!response.ok) throw new Error("status " + response.status);
    var jws = (await response.text()).trim().split(".");
    if (jws.length !== 3) throw new Error("status list is not a compact JWS");
    var header = JSON.parse(new TextDecoder().decode(b64urlDecode(jws[0])));
    if (header.alg !== "ES256" || header.crit !== undefined) throw new Error("status list header");
    var keys = keySet || await loadKeys();
    var key = keys[header.kid];
    if (!key) throw new Error("status list signed by an unknown key");
    var ok = await crypto.subtle.verify({name: "ECDSA", hash: "SHA-256"}, key, b64urlDecode(jws[2]),
      new TextEncoder().encode(jws[0] + "." + jws[1]));
    if (!ok) throw new Error("status list signature");
    var document_ = JSON.parse(new TextDecoder().decode(b64urlDecode(jws[1])));
    var subject = document_.credentialSubject || {};
    if (subject.statusSize !== 2 || typeof subject.encodedList !== "string" || subject.encodedList.charAt(0) !== "u") {
      throw new Error("status list content");
    }
    statusList = {
      bits: await gunzip(b64urlDecode(subject.encodedList.slice(1))),
      validUntil: document_.validUntil ? new Date(document_.validUntil) : null,
    };
    return statusList;
  }

  // --- verification ---------------------------------------------------------------------------------------

  async function verifyText(text) {
    if (typeof text !== "string" || text.length > MAX_TEXT || text.slice(0, PREFIX.length) !== PREFIX) {
      throw new Refused("malformed");
    }
    var cose = cbor(base45Decode(text.slice(PREFIX.length)));
    if (cose instanceof CBOR.Tag) {
      if (cose.tag !== 18) throw new Refused("malformed");
      cose = cose.value;
    }
    if (!Array.isArray(cose) || cose.length !== 4 || !isBytes(cose[0]) || !isBytes(cose[2]) || !isBytes(cose[3])) {
      throw new Refused("malformed");
    }
    var protectedBytes = cose[0], payload = cose[2], signature = cose[3];
    var header = cbor(protectedBytes);
    if (!(header instanceof Map) || header.get(1) !== -7 || !isBytes(header.get(4))) throw new Refused("malformed");
    var kid = b64urlEncode(header.get(4));
    var keys = keySet;
    if (!keys) {
      try { keys = await loadKeys(); } catch (e) { throw new Refused("keys"); }
    }
    var key = keys[kid];
    if (!key) throw new Refused("unknown_key");
    if (signature.length !== 64) throw new Refused("bad_signature");
    var good = await crypto.subtle.verify({name: "ECDSA", hash: "SHA-256"}, key, signature,
      sigStructure(protectedBytes, payload));
    if (!good) throw new Refused("bad_signature");

    var claims = cbor(payload);
    if (!(claims instanceof Map)) throw new Refused("malformed");
    var card = claims.get(CLAIM_CITYID), exp = claims.get(CLAIM_EXP), iss = claims.get(CLAIM_ISS);
    if (!(card instanceof Map) || card.get(0) !== 1 || typeof exp !== "number" || typeof iss !== "string") {
      throw new Refused("malformed");
    }
    var kind = card.get(1), index = card.get(2);
    if (!Number.isInteger(index) || index < 0) throw new Refused("malformed");
    var result = {kind: kind, issuer: iss, expiry: new Date((exp - 86400) * 1000).toISOString().slice(0, 10)};
    if (kind === FULL) {
      var number = card.get(3), name = card.get(4), born = card.get(5), photo = card.get(6);
      if (typeof number !== "string" || typeof name !== "string" || typeof born !== "string" || !isBytes(photo)) {
        throw new Refused("malformed");
      }
      result.number = number.replace(/(\d{4})(?=\d)/g, "$1 ");
      result.name = name;
      result.birth = born;
      result.photo = Array.from(photo.slice(0, 4), function (b) { return b.toString(16).padStart(2, "0"); }).join("");
    } else if (kind === MINIMAL) {
      var resident = card.get(7), over18 = card.get(8), over21 = card.get(9);
      if (typeof resident !== "boolean" || typeof over18 !== "boolean" || typeof over21 !== "boolean") {
        throw new Refused("malformed");
      }
      result.resident = resident;
      result.over18 = over18;
      result.over21 = over21;
    } else {
      throw new Refused("malformed");
    }
    if (Date.now() / 1000 >= exp) throw new Refused("expired");

    var list = statusList;
    if (!list || list.error) {
      try { list = await loadStatusList(); } catch (e) { list = null; }
    }
    if (list) {
      if (index >= list.bits.length * 4) throw new Refused("malformed");
      var value = (list.bits[index >> 2] >> (6 - 2 * (index & 3))) & 3;
      if (value === 1) throw new Refused("suspended");
      if (value >= 2) throw new Refused("revoked");
      result.status = (list.validUntil && list.validUntil < new Date()) ? "stale" : "checked";
      result.validUntil = list.validUntil;
    } else {
      result.status = "unchecked";
    }
    return result;
  }

  // --- showing the answer ---------------------------------------------------------------------------------

  var resultBox = document.getElementById("verify-result");

  function element(tag, className, text) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function alertBox(kind, heading, lines) {
    var box = element("div", "usa-alert usa-alert--" + kind);
    box.setAttribute("data-verdict", kind === "success" ? "valid" : kind === "warning" ? "valid-warning" : "refused");
    var body = element("div", "usa-alert__body");
    body.appendChild(element("h2", "usa-alert__heading", heading));
    (lines || []).forEach(function (line) { body.appendChild(element("p", "usa-alert__text", line)); });
    box.appendChild(body);
    return box;
  }

  function showRefusal(reason) {
    resultBox.replaceChildren(alertBox("error", words.refused, [words.reasons[reason] || words.reasons.malformed]));
    resultBox.setAttribute("data-reason", reason);
  }

  function yesNo(value) { return value ? words.yes : words.no; }

  function showVerified(result) {
    var rows = [[words.issuer, result.issuer]];
    if (result.kind === FULL) {
      rows.push([words.name, result.name], [words.birth, result.birth], [words.expiry, result.expiry],
                [words.number, result.number]);
    } else {
      rows.push([words.resident, yesNo(result.resident)], [words.over18, yesNo(result.over18)],
                [words.over21, yesNo(result.over21)], [words.expiry, result.expiry]);
    }
    var lines = [];
    if (result.status === "checked") lines.push(words.status_checked);
    else if (result.status === "stale") lines.push(words.status_stale);
    else lines.push(words.status_unchecked);
    var box = alertBox(result.status === "checked" ? "success" : "warning",
                       result.kind === FULL ? words.valid_full : words.valid_minimal, lines);
    var list = element("dl", "cityid-verified");
    rows.forEach(function (row) {
      list.appendChild(element("dt", "text-bold", row[0]));
      list.appendChild(element("dd", "margin-left-0 margin-bottom-1", row[1]));
    });
    box.querySelector(".usa-alert__body").appendChild(list);
    if (result.kind === FULL) {
      box.querySelector(".usa-alert__body").appendChild(element("p", "usa-alert__text",
        words.photo_note.replace("%s", result.photo)));
    }
    resultBox.replaceChildren(box);
    resultBox.setAttribute("data-reason", "");
  }

  async function check(text) {
    try {
      showVerified(await verifyText(text));
    } catch (e) {
      showRefusal(e instanceof Refused ? e.reason : "malformed");
    }
  }

  // --- reading the code: an uploaded image, or the camera ---------------------------------------------

  var canvas = document.createElement("canvas");

  function findCode(source, width, height) {
    var scale = Math.min(1, MAX_SIDE / Math.max(width, height));
    canvas.width = Math.max(1, Math.round(width * scale));
    canvas.height = Math.max(1, Math.round(height * scale));
    var context = canvas.getContext("2d", {willReadFrequently: true});
    context.fillStyle = "#fff";
    context.fillRect(0, 0, canvas.width, canvas.height);
    context.drawImage(source, 0, 0, canvas.width, canvas.height);
    var pixels = context.getImageData(0, 0, canvas.width, canvas.height);
    var code = jsQR(pixels.data, pixels.width, pixels.height, {inversionAttempts: "attemptBoth"});
    return code ? code.data : null;
  }

  async function pngSize(file) {
    // The width and height of a PNG from its header, before anything decodes it (a decompression bomb).
    var head = new Uint8Array(await file.slice(0, 24).arrayBuffer());
    if (head.length === 24 && head[0] === 0x89 && head[1] === 0x50 && head[12] === 0x49 && head[13] === 0x48) {
      var view = new DataView(head.buffer);
      return [view.getUint32(16), view.getUint32(20)];
    }
    return null;
  }

  async function readImage(file) {
    if (file.size > MAX_FILE_BYTES) return showRefusal("too_large");
    var size = await pngSize(file);
    if (size && size[0] * size[1] > MAX_PIXELS) return showRefusal("too_large");
    var bitmap;
    try {
      bitmap = await createImageBitmap(file);
    } catch (e) {
      return showRefusal("image");
    }
    if (bitmap.width * bitmap.height > MAX_PIXELS) { bitmap.close(); return showRefusal("too_large"); }
    var text;
    try {
      text = findCode(bitmap, bitmap.width, bitmap.height);
    } catch (e) {
      text = null;
    } finally {
      bitmap.close();
    }
    if (text === null) return showRefusal("no_code");
    return check(text);
  }

  var fileInput = document.getElementById("verify-image");
  fileInput.addEventListener("change", function () {
    if (fileInput.files && fileInput.files[0]) {
      resultBox.replaceChildren(element("p", "", words.checking));
      resultBox.setAttribute("data-reason", "pending");
      readImage(fileInput.files[0]).catch(function () { showRefusal("image"); });
    }
  });

  var video = document.getElementById("verify-video");
  var cameraButton = document.getElementById("verify-camera");
  var stream = null;

  function stopCamera() {
    if (stream) stream.getTracks().forEach(function (track) { track.stop(); });
    stream = null;
    video.hidden = true;
    cameraButton.textContent = words.camera_start;
  }

  function scanFrame() {
    if (!stream) return;
    if (video.readyState >= 2 && video.videoWidth) {
      var text = null;
      try { text = findCode(video, video.videoWidth, video.videoHeight); } catch (e) { text = null; }
      if (text !== null) { stopCamera(); check(text); return; }
    }
    setTimeout(scanFrame, 250);
  }

  cameraButton.addEventListener("click", async function () {
    if (stream) { stopCamera(); return; }
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) return showRefusal("camera");
    try {
      stream = await navigator.mediaDevices.getUserMedia({video: {facingMode: "environment"}, audio: false});
    } catch (e) {
      return showRefusal("camera");
    }
    video.srcObject = stream;
    video.hidden = false;
    cameraButton.textContent = words.camera_stop;
    await video.play().catch(function () {});
    scanFrame();
  });
  cameraButton.hidden = false;

  // --- offline: the service worker keeps the page, its scripts, the keys and the status list ---------

  var offline = document.getElementById("verify-offline");
  async function prepare() {
    try { await loadKeys(); } catch (e) { /* offline before the first visit: said when a card is checked */ }
    try { await loadStatusList(); } catch (e) { statusList = null; }
    if ("serviceWorker" in navigator) {
      try {
        await navigator.serviceWorker.register(config.sw_url, {scope: config.scope});
        await navigator.serviceWorker.ready;
        offline.textContent = words.offline_ready;
        document.body.setAttribute("data-offline-ready", "yes");
      } catch (e) {
        offline.textContent = words.offline_unavailable;
      }
    }
    document.body.setAttribute("data-verify-ready", "yes");
  }
  prepare();
}());
