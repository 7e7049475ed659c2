/* Pay ahead / pay off, after the confirmation page named the amount and the card: charge the
   saved payment method, with 3-D Secure when the bank asks. */
(function () {
  "use strict";
  var box = document.getElementById("plan-actions");
  if (!box) { return; }
  var csrf = document.querySelector('meta[name="csrf-token"]').content;
  var errorBox = document.getElementById("plan-error");
  var statusBox = document.getElementById("plan-status");
  var resumeForm = document.getElementById("resume-form");
  var stripe = typeof Stripe === "function" ? Stripe(box.dataset.key, { locale: box.dataset.locale }) : null;

  function post(url, body) {
    return fetch(url, {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf },
      body: JSON.stringify(body || {})
    }).then(function (r) { return r.json().catch(function () { return {}; }); });
  }
  function show(message, reason) {
    errorBox.textContent = message || box.dataset.msgNetwork;
    errorBox.hidden = false;
    if (statusBox) { statusBox.textContent = ""; }
    if (reason === "session_ended" && resumeForm) {
      resumeForm.hidden = false;
      return;  // nothing can be paid in this session any more
    }
    box.querySelectorAll("button[data-what]").forEach(function (b) { b.disabled = false; });
  }
  function authenticate(clientSecret) {
    // the Payment Element's Stripe.js finishes a server-confirmed payment with handleNextAction
    if (box.dataset.elements === "payment" && stripe.handleNextAction) {
      return stripe.handleNextAction({ clientSecret: clientSecret });
    }
    return stripe.confirmCardPayment(clientSecret);
  }
  function finish(result) {
    if (result.next && result.status !== "failed") { window.location.assign(result.next); return; }
    if (result.reason === "amount_changed") {
      // the balance changed since the page was shown: show the new amount before charging
      show(result.error);
      window.setTimeout(function () { window.location.reload(); }, 4000);
      return;
    }
    show(result.error, result.reason);
  }
  box.querySelectorAll("button[data-what]").forEach(function (button) {
    button.addEventListener("click", function () {
      box.querySelectorAll("button[data-what]").forEach(function (b) { b.disabled = true; });
      errorBox.hidden = true;
      if (statusBox) { statusBox.textContent = box.dataset.msgWorking || ""; }
      post(box.dataset.url, { what: button.dataset.what, amount_minor: Number(button.dataset.amount) }).then(function (result) {
        if (result.client_secret && stripe) {
          return authenticate(result.client_secret).then(function () {
            return post(result.refresh);
          }).then(finish);
        }
        finish(result);
      }).catch(function () { show(); });
    });
  });
})();
