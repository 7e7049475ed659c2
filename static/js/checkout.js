/* Pay in full: save the card or IBAN with a SetupIntent, let the server charge the amount it
   computed, and run 3-D Secure when the bank asks. Texts come translated from data-msg-*. */
(function () {
  "use strict";
  var form = document.getElementById("pay-form");
  if (!form) { return; }
  var button = document.getElementById("pay-button");
  var errorBox = document.getElementById("pay-error");
  var statusBox = document.getElementById("pay-status");
  var sepaSection = document.getElementById("sepa-section");
  var cardSection = document.getElementById("card-section");
  var amountBox = document.getElementById("amount");
  // the method saved for the last confirm call, and the one to reuse when the patient
  // confirms a changed amount (any other failure saves the method entered again)
  var lastSetup = null;
  var savedSetup = null;

  function method() {
    var checked = form.querySelector('input[name="method"]:checked') ||
      form.querySelector('input[name="method"]');
    return checked.value;
  }

  form.querySelectorAll('input[name="method"]').forEach(function (radio) {
    radio.addEventListener("change", function () {
      var sepa = method() === "sepa_debit";
      cardSection.hidden = sepa;
      if (sepaSection) { sepaSection.hidden = !sepa; }
    });
  });

  if (typeof Stripe !== "function") {
    /* Stripe.js did not load: say so, and never let the form submit by itself. */
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      errorBox.textContent = form.dataset.msgNoStripe;
      errorBox.hidden = false;
    });
    errorBox.textContent = form.dataset.msgNoStripe;
    errorBox.hidden = false;
    return;
  }
  var csrf = document.querySelector('meta[name="csrf-token"]').content;
  var stripe = Stripe(form.dataset.key, { locale: form.dataset.locale });
  var card = stripe.elements({ locale: form.dataset.locale }).create("card");
  card.mount("#card-element");

  function post(url, body) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf },
      body: JSON.stringify(body || {})
    }).then(function (response) {
      return response.json().catch(function () { return {}; }).then(function (data) {
        if (!response.ok && !data.error) { data.error = form.dataset.msgNetwork; }
        return data;
      });
    });
  }

  function fail(message) {
    errorBox.textContent = message;
    errorBox.hidden = false;
    statusBox.textContent = "";
    button.disabled = false;
    errorBox.focus && errorBox.setAttribute("tabindex", "-1");
    errorBox.focus();
  }

  function saveMethod(clientSecret) {
    if (method() === "sepa_debit") {
      return stripe.confirmSepaDebitSetup(clientSecret, {
        payment_method: {
          sepa_debit: { iban: document.getElementById("iban").value.replace(/\s+/g, "") },
          billing_details: {
            name: document.getElementById("sepa-name").value,
            email: document.getElementById("sepa-email").value
          }
        }
      });
    }
    return stripe.confirmCardSetup(clientSecret, { payment_method: { card: card } });
  }

  function finish(result) {
    if (result.next && result.status !== "failed") { window.location.assign(result.next); return; }
    fail(result.error || form.dataset.msgSetupFailed);
  }

  function askAgain(result) {
    // the balance changed since the page was shown: show the new amount, charge nothing
    form.dataset.amount = String(result.amount_minor);
    if (amountBox && result.amount) { amountBox.textContent = result.amount; }
    if (result.button) { button.textContent = result.button; }
    savedSetup = lastSetup;
    fail(result.error);
  }

  function confirmPayment(setupIntentId) {
    lastSetup = setupIntentId;
    return post(form.dataset.confirmUrl, {
      setup_intent_id: setupIntentId,
      amount_minor: Number(form.dataset.amount)
    });
  }

  function authenticate(result) {
    return stripe.confirmCardPayment(result.client_secret).then(function () {
      return post(result.refresh);
    }).then(finish);
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    if (button.disabled) { return; }
    errorBox.hidden = true;
    if (method() === "sepa_debit") {
      if (!document.getElementById("iban").value.trim()) { fail(form.dataset.msgIban); return; }
      if (!document.getElementById("sepa-name").value.trim()) { fail(form.dataset.msgName); return; }
    }
    button.disabled = true;
    statusBox.textContent = form.dataset.msgWorking;
    var reuse = savedSetup;
    savedSetup = null;
    var charged = reuse ? confirmPayment(reuse) : post(
      form.dataset.setupUrl, { method: method() }
    ).then(function (setup) {
      if (setup.error) { throw setup; }
      return saveMethod(setup.client_secret);
    }).then(function (saved) {
      if (saved.error || !saved.setupIntent) { throw { error: form.dataset.msgSetupFailed }; }
      return confirmPayment(saved.setupIntent.id);
    });
    charged.then(function (result) {
      if (result.reason === "amount_changed") { askAgain(result); return; }
      if (result.error && !result.status) { throw result; }
      if (result.client_secret) { return authenticate(result); }
      finish(result);
    }).catch(function (problem) {
      fail((problem && problem.error) || form.dataset.msgNetwork);
    });
  });
})();
