/* Checkout: save the card or IBAN with a SetupIntent, let the server charge the amount it
   computed, and run 3-D Secure when the bank asks. Texts come translated from data-msg-*.

   data-elements says which Stripe elements collect the details:
   - "payment": the Payment Element plus the Express Checkout Element (Apple Pay, Google Pay),
     created without an intent (mode "setup"), confirmed with stripe.confirmSetup;
   - "card": the Card Element and the IBAN field (localstripe's Stripe.js has nothing else),
     confirmed with confirmCardSetup / confirmSepaDebitSetup. */
(function () {
  "use strict";
  var form = document.getElementById("pay-form");
  if (!form) { return; }
  var button = document.getElementById("pay-button");
  var errorBox = document.getElementById("pay-error");
  var statusBox = document.getElementById("pay-status");
  var amountBox = document.getElementById("amount");
  var resumeForm = document.getElementById("resume-form");
  // the method saved for the last confirm call, and the one to reuse when the patient
  // confirms a changed amount (any other failure saves the method entered again)
  var lastSetup = null;
  var savedSetup = null;

  // the Card Element path: card or IBAN, chosen with radio buttons
  function method() {
    var checked = form.querySelector('input[name="method"]:checked') ||
      form.querySelector('input[name="method"]');
    return checked ? checked.value : null;
  }
  form.querySelectorAll('input[name="method"]').forEach(function (radio) {
    radio.addEventListener("change", function () {
      var sepa = method() === "sepa_debit";
      document.getElementById("card-section").hidden = sepa;
      var sepaSection = document.getElementById("sepa-section");
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
  var collector = form.dataset.elements === "payment" ? paymentElement() : cardElement();

  function cardElement() {
    var card = stripe.elements({ locale: form.dataset.locale }).create("card");
    card.mount("#card-element");
    return {
      setupBody: function () { return { method: method() }; },
      check: function () {
        if (method() === "sepa_debit") {
          if (!document.getElementById("iban").value.trim()) { return Promise.resolve(form.dataset.msgIban); }
          if (!document.getElementById("sepa-name").value.trim()) { return Promise.resolve(form.dataset.msgName); }
        }
        return Promise.resolve(null);
      },
      save: function (clientSecret) {
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
      },
      authenticate: function (clientSecret) { return stripe.confirmCardPayment(clientSecret); }
    };
  }

  function paymentElement() {
    var methods = form.dataset.methods.split(",");
    var elements = stripe.elements({
      mode: "setup",
      currency: form.dataset.currency,
      paymentMethodTypes: methods,
      locale: form.dataset.locale
    });
    var payment = elements.create("payment", { layout: "tabs" });
    payment.mount("#payment-element");
    if (methods.indexOf("card") >= 0 && document.getElementById("express-element")) {
      var express = elements.create("expressCheckout", {
        buttonType: { applePay: "plain", googlePay: "pay" }
      });
      express.on("ready", function (event) {
        var offered = event.availablePaymentMethods || {};
        document.getElementById("express-section").hidden = !Object.keys(offered).some(function (k) {
          return offered[k];
        });
      });
      express.on("click", function (event) { event.resolve({}); });
      express.on("confirm", function (event) {
        // the wallet's sheet stays open until the payment succeeds or is reported failed
        var failed = function () { event.paymentFailed({ reason: "fail" }); };
        collector.check().then(function (problem) {
          if (problem) { failed(); fail(problem); return; }
          submit(failed);
        });
      });
      express.mount("#express-element");
    }
    return {
      setupBody: function () { return { methods: methods }; },
      check: function () {
        return elements.submit().then(function (result) {
          return result.error ? explain(result.error) : null;
        });
      },
      save: function (clientSecret) {
        return stripe.confirmSetup({
          elements: elements,
          clientSecret: clientSecret,
          confirmParams: { return_url: window.location.href },
          redirect: "if_required"
        });
      },
      authenticate: function (clientSecret) { return stripe.handleNextAction({ clientSecret: clientSecret }); }
    };
  }

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

  function explain(error, clientSecret) {
    // what Stripe.js reported, in the patient's words (the server knows every code)
    return post(form.dataset.problemUrl, {
      code: error && error.code, decline_code: error && error.decline_code,
      client_secret: clientSecret
    }).then(function (answer) {
      if (answer.reason === "session_ended") { throw answer; }
      return answer.error || form.dataset.msgSetupFailed;
    }, function () { return form.dataset.msgSetupFailed; });
  }

  // set while an Express Checkout sheet is open: told when the payment does not go through
  var walletFailed = null;

  function fail(message, reason) {
    if (walletFailed) { walletFailed(); walletFailed = null; }
    errorBox.textContent = message;
    errorBox.hidden = false;
    statusBox.textContent = "";
    errorBox.setAttribute("tabindex", "-1");
    errorBox.focus();
    if (reason === "session_ended" && resumeForm) {
      resumeForm.hidden = false;  // nothing can be paid in this session any more
      return;
    }
    button.disabled = false;
  }

  function finish(result) {
    if (result.next && result.status !== "failed") { window.location.assign(result.next); return; }
    fail(result.error || form.dataset.msgSetupFailed, result.reason);
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
    return collector.authenticate(result.client_secret).then(function () {
      return post(result.refresh);
    }).then(finish);
  }

  function saveAndCharge() {
    var secret = null;
    return post(form.dataset.setupUrl, collector.setupBody()).then(function (setup) {
      if (setup.error) { throw setup; }
      secret = setup.client_secret;
      return collector.save(secret);
    }).then(function (saved) {
      if (saved.error || !saved.setupIntent) {
        return explain(saved.error, secret).then(function (message) { throw { error: message }; });
      }
      return confirmPayment(saved.setupIntent.id);
    });
  }

  function submit(onFailure) {
    walletFailed = onFailure || null;
    button.disabled = true;
    errorBox.hidden = true;
    statusBox.textContent = form.dataset.msgWorking;
    var reuse = savedSetup;
    savedSetup = null;
    var charged = reuse ? confirmPayment(reuse) : saveAndCharge();
    charged.then(function (result) {
      if (result.reason === "amount_changed") { askAgain(result); return; }
      if (result.error && !result.status) { throw result; }
      if (result.client_secret) { return authenticate(result); }
      finish(result);
    }).catch(function (problem) {
      fail((problem && problem.error) || form.dataset.msgNetwork, problem && problem.reason);
    });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    if (button.disabled) { return; }
    errorBox.hidden = true;
    collector.check().then(function (problem) {
      if (problem) { fail(problem); return; }
      submit();
    }, function (problem) {
      fail((problem && problem.error) || form.dataset.msgNetwork, problem && problem.reason);
    });
  });
})();
