// The enrollment form (#enroll-form): nothing a clerk entered is lost.
// - A photo or scan is sent to the server the moment it is chosen (kept there sealed for this clerk); its id goes
//   into the form's hidden field, so a validation error, a retry or Enter never loses it.
// - "No address" disables the address fields without clearing them (they are sent again, unused, on submit).
// - Leaving a half-filled form asks first (not after a submit).
// - After a failed submit the error summary takes focus.
// No inline script: the page's Content-Security-Policy allows only files like this one.
(function () {
  "use strict";
  var form = document.getElementById("enroll-form");
  if (!form) {
    return;
  }
  var submitting = false;
  var pending = 0;
  var dirty = form.getAttribute("data-dirty") === "true";

  function csrfToken() {
    var input = form.querySelector("input[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  function hiddenFor(input) {
    return form.querySelector("input[type=hidden][name='" + input.name + "_staged']");
  }

  function showKept(input, name) {
    var kept = document.getElementById(input.id + "_kept");
    if (!kept) {
      return;
    }
    var text = kept.querySelector(".cityid-kept__text");
    if (name) {
      text.textContent = (form.getAttribute("data-kept-text") || "%s kept").replace("%s", name);
      kept.hidden = false;
    } else {
      text.textContent = "";
      kept.hidden = true;
    }
  }

  function showError(input, message) {
    var error = document.getElementById(input.id + "_stage_error");
    if (!error) {
      return;
    }
    error.textContent = message || "";
    error.hidden = !message;
  }

  function stage(input) {
    var file = input.files && input.files[0];
    var hidden = hiddenFor(input);
    if (!file || !hidden) {
      return;
    }
    var body = new FormData();
    body.append("kind", input.name === "photo" ? "photo" : "scan");
    body.append("file", file);
    pending += 1;
    input.setAttribute("aria-busy", "true");
    showError(input, "");
    fetch(form.getAttribute("data-stage-url"), {
      method: "POST",
      body: body,
      credentials: "same-origin",
      headers: {"X-CSRFToken": csrfToken(), "Accept": "application/json"}
    }).then(function (response) {
      return response.json().then(function (answer) {
        return {ok: response.ok, answer: answer};
      });
    }).then(function (result) {
      if (result.ok && result.answer.id) {
        hidden.value = result.answer.id;
        showKept(input, result.answer.name);
        input.value = "";  // kept on the server: not sent again with the form
      } else {
        input.value = "";  // a refused file is not sent with the form; what was kept before stays
        showError(input, result.answer.error || "");
      }
    }).catch(function () {
      // Offline or the server did not answer: the file stays chosen and goes with the form.
    }).then(function () {
      pending -= 1;
      input.removeAttribute("aria-busy");
    });
  }

  form.addEventListener("change", function (event) {
    var target = event.target;
    dirty = true;
    if (target instanceof HTMLInputElement && target.type === "file") {
      stage(target);
    }
    if (target.name === "address_kind") {
      applyAddressKind();
    }
  });
  form.addEventListener("input", function () {
    dirty = true;
  });

  form.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest("[data-unstage]") : null;
    if (!button) {
      return;
    }
    var input = document.getElementById(button.getAttribute("data-unstage"));
    var hidden = input ? hiddenFor(input) : null;
    if (hidden) {
      hidden.value = "";
      input.value = "";
      showKept(input, "");
      input.focus();
    }
  });

  function addressParts() {
    return form.querySelectorAll("[data-address-part]");
  }

  function applyAddressKind() {
    var kind = form.querySelector("[name=address_kind]");
    var none = kind && kind.value === "none";
    addressParts().forEach(function (input) {
      input.disabled = none;
    });
  }
  applyAddressKind();

  form.addEventListener("submit", function (event) {
    if (pending > 0) {
      // A file is still on its way: wait for it, then send the form.
      event.preventDefault();
      event.stopPropagation();  // not yet "submitted once" (submit-once.js): the form is sent when the file is in
      var wait = window.setInterval(function () {
        if (pending === 0) {
          window.clearInterval(wait);
          form.requestSubmit(document.getElementById("submit-application"));
        }
      }, 100);
      return;
    }
    submitting = true;
    addressParts().forEach(function (input) {
      input.disabled = false;  // sent as typed, so that they are still there if the form comes back
    });
  });

  window.addEventListener("beforeunload", function (event) {
    if (dirty && !submitting) {
      event.preventDefault();
      event.returnValue = "";
    }
  });
  window.addEventListener("pageshow", function (event) {
    if (event.persisted) {
      submitting = false;
    }
  });

  var summary = document.getElementById("error-summary");
  if (summary) {
    summary.focus();
    summary.addEventListener("click", function (event) {
      var link = event.target.closest ? event.target.closest("a[href^='#']") : null;
      var target = link ? document.getElementById(link.getAttribute("href").slice(1)) : null;
      if (target) {
        event.preventDefault();
        target.scrollIntoView({block: "center"});
        target.focus();
      }
    });
  }
})();
