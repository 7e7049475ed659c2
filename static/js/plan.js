/* Plan page: pay the next installment or the rest now with the saved payment method,
   with 3-D Secure when the bank asks. */
(function () {
  "use strict";
  var box = document.getElementById("plan-actions");
  if (!box) { return; }
  var csrf = document.querySelector('meta[name="csrf-token"]').content;
  var stripe = Stripe(box.dataset.key, { locale: box.dataset.locale });
  var errorBox = document.getElementById("plan-error");

  function post(url, body) {
    return fetch(url, {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf },
      body: JSON.stringify(body || {})
    }).then(function (r) { return r.json().catch(function () { return {}; }); });
  }
  function show(message) {
    errorBox.textContent = message || box.dataset.msgNetwork;
    errorBox.hidden = false;
    box.querySelectorAll("button").forEach(function (b) { b.disabled = false; });
  }
  function finish(result) {
    if (result.next && result.status !== "failed") { window.location.assign(result.next); return; }
    if (result.reason === "amount_changed") {
      // the balance changed since the page was shown: show the new amounts before charging
      show(result.error);
      window.setTimeout(function () { window.location.reload(); }, 4000);
      return;
    }
    show(result.error);
  }
  box.querySelectorAll("button[data-what]").forEach(function (button) {
    button.addEventListener("click", function () {
      box.querySelectorAll("button").forEach(function (b) { b.disabled = true; });
      errorBox.hidden = true;
      post(box.dataset.url, { what: button.dataset.what, amount_minor: Number(button.dataset.amount) }).then(function (result) {
        if (result.client_secret) {
          return stripe.confirmCardPayment(result.client_secret).then(function () {
            return post(result.refresh);
          }).then(finish);
        }
        finish(result);
      }).catch(function () { show(); });
    });
  });
})();
