/* A stand-in for Stripe.js v3's Payment Element and Express Checkout Element, served by the
   browser tests in place of https://js.stripe.com/v3/ (real Stripe.js cannot load here).

   It implements the calls and events Stripe.js documents, with the documented shapes, and
   does the real work against localstripe (__API_BASE__), as localstripe's own shim does for
   the Card Element: stripe.elements({mode, currency, amount, paymentMethodTypes, ...}),
   elements.create("payment" | "expressCheckout"), element.mount / on("ready" | "change" |
   "click" | "confirm"), elements.submit(), stripe.confirmSetup, stripe.confirmPayment and
   stripe.handleNextAction, each resolving to {setupIntent} / {paymentIntent} or {error}.
   Every call is recorded in window.__stripeCalls for the tests to inspect. */
(function () {
  "use strict";
  var API = "__API_BASE__";
  var calls = window.__stripeCalls = [];
  var WALLET_CARD = { number: "4242424242424242", exp_month: "12", exp_year: "2034", cvc: "123" };

  function fire(handlers, type, event) {
    (handlers[type] || []).forEach(function (handler) { handler(event); });
  }
  function api(path, body) {
    return fetch(API + path, { method: "POST", body: JSON.stringify(body) })
      .then(function (r) { return r.json().catch(function () { return {}; }); });
  }
  function modal(text) {
    // the bank's 3-D Secure page, as a dialog with the same buttons as localstripe's shim
    return new Promise(function (resolve) {
      var box = document.createElement("div");
      box.setAttribute("role", "dialog");
      box.setAttribute("aria-label", text);
      ["Complete authentication", "Fail authentication"].forEach(function (label, i) {
        var b = document.createElement("button");
        b.type = "button";
        b.textContent = label;
        b.addEventListener("click", function () { box.remove(); resolve(i === 0); });
        box.appendChild(b);
      });
      document.body.appendChild(box);
    });
  }
  function input(parent, name, label) {
    var field = document.createElement("input");
    field.name = "";
    field.placeholder = name;
    field.setAttribute("aria-label", label);
    parent.appendChild(field);
    return field;
  }

  function Element(type, options, group) {
    this.type = type; this.options = options || {}; this.group = group; this.handlers = {};
  }
  Element.prototype.on = function (type, handler) {
    (this.handlers[type] = this.handlers[type] || []).push(handler); return this;
  };
  Element.prototype.mount = function (selector) {
    var self = this, root = document.querySelector(selector);
    calls.push(["mount", this.type, selector]);
    if (this.type === "payment") {
      var types = this.group.options.paymentMethodTypes || ["card"];
      self.value = { type: types[0] };
      var tabs = document.createElement("div");
      tabs.setAttribute("role", "tablist");
      types.forEach(function (t) {
        var tab = document.createElement("button");
        tab.type = "button"; tab.setAttribute("role", "tab"); tab.textContent = t;
        tab.addEventListener("click", function () { self.value = { type: t }; changed(); });
        tabs.appendChild(tab);
      });
      root.appendChild(tabs);
      self.fields = {
        number: input(root, "number", "Card number"), expiry: input(root, "MM / YY", "Expiry"),
        cvc: input(root, "CVC", "Security code"), iban: input(root, "IBAN", "IBAN")
      };
      var changed = function () {
        var f = self.fields, card = self.value.type === "card";
        self.complete = card ? !!(f.number.value && f.expiry.value && f.cvc.value) : !!f.iban.value;
        if (self.value.type === "link") { self.complete = false; }  // no Link account here
        fire(self.handlers, "change", {
          elementType: "payment", empty: !self.complete, complete: self.complete,
          collapsed: false, value: { type: self.value.type }
        });
      };
      Object.keys(self.fields).forEach(function (k) { self.fields[k].addEventListener("input", changed); });
      setTimeout(function () { fire(self.handlers, "ready", { elementType: "payment" }); }, 0);
    } else if (this.type === "expressCheckout") {
      var wallet = document.createElement("button");
      wallet.type = "button"; wallet.textContent = "Google Pay";
      wallet.addEventListener("click", function () {
        var shown = false;
        fire(self.handlers, "click", {
          elementType: "expressCheckout", expressPaymentType: "google_pay",
          resolve: function (payload) { shown = true; calls.push(["click.resolve", payload]); }
        });
        if (!shown) { return; }  // a click handler must resolve for the sheet to open
        self.group.source = "express";
        fire(self.handlers, "confirm", {
          elementType: "expressCheckout", expressPaymentType: "google_pay",
          billingDetails: { name: "Wallet Holder", email: "wallet@example.org" },
          paymentFailed: function (payload) { calls.push(["paymentFailed", payload || {}]); }
        });
      });
      root.appendChild(wallet);
      // Link is offered when the elements' paymentMethodTypes name it, as on Stripe
      var link = (this.group.options.paymentMethodTypes || []).indexOf("link") >= 0;
      if (link) {
        var linkButton = document.createElement("button");
        linkButton.type = "button"; linkButton.textContent = "Pay with Link";
        root.appendChild(linkButton);
      }
      setTimeout(function () {
        fire(self.handlers, "ready", {
          elementType: "expressCheckout",
          availablePaymentMethods: { applePay: false, googlePay: true, link: link, paypal: false, amazonPay: false }
        });
      }, 0);
    }
  };

  function Elements(options) {
    if (!options || !options.mode || !options.currency) {
      throw new Error("IntegrationError: elements() without an intent needs mode and currency");
    }
    if (options.mode === "payment" && !options.amount) {
      throw new Error("IntegrationError: mode payment needs an amount");
    }
    this.options = options; this.created = {}; this.source = "payment";
  }
  Elements.prototype.create = function (type, options) {
    if (type !== "payment" && type !== "expressCheckout") { throw new Error("stand-in: no " + type); }
    calls.push(["create", type, options || {}]);
    return (this.created[type] = new Element(type, options, this));
  };
  Elements.prototype.getElement = function (type) { return this.created[type] || null; };
  Elements.prototype.submit = function () {
    calls.push(["submit", this.source]);
    var payment = this.created.payment;
    if (this.source === "payment" && !(payment && payment.complete)) {
      return Promise.resolve({ error: {
        type: "validation_error", code: "incomplete_number", message: "Your card number is incomplete."
      } });
    }
    return Promise.resolve({});
  };
  Elements.prototype.paymentMethodData = function () {
    if (this.source === "express") {
      return { type: "card", card: WALLET_CARD, billing_details: { name: "Wallet Holder" } };
    }
    var f = this.created.payment.fields, type = this.created.payment.value.type;
    if (type === "sepa_debit") {
      return { type: type, sepa_debit: { iban: f.iban.value.replace(/\s+/g, "") },
        billing_details: { name: "Account Holder", email: "holder@example.org" } };
    }
    var expiry = f.expiry.value.split("/");
    return { type: "card", card: { number: f.number.value.replace(/\s+/g, ""),
      exp_month: expiry[0].trim(), exp_year: "20" + (expiry[1] || "").trim(), cvc: f.cvc.value },
      billing_details: { address: { postal_code: "00184" } } };
  };

  window.Stripe = function (key, options) {
    calls.push(["Stripe", key, options || {}]);
    function authenticateSetup(seti, secret) {
      return modal("3D Secure").then(function (ok) {
        return api("/v1/setup_intents/" + seti + "/" + (ok ? "confirm" : "cancel"),
          { key: key, use_stripe_sdk: true, client_secret: secret });
      });
    }
    return {
      elements: function (opts) { calls.push(["elements", opts]); return new Elements(opts); },
      confirmSetup: function (o) {
        calls.push(["confirmSetup", { clientSecret: o.clientSecret, confirmParams: o.confirmParams, redirect: o.redirect }]);
        if (!o.elements || !o.clientSecret || !(o.confirmParams && o.confirmParams.return_url)) {
          return Promise.resolve({ error: { type: "invalid_request_error", message: "confirmSetup needs elements, clientSecret and confirmParams.return_url" } });
        }
        var seti = o.clientSecret.split("_secret_")[0];
        return api("/v1/setup_intents/" + seti + "/confirm", {
          key: key, use_stripe_sdk: true, client_secret: o.clientSecret,
          payment_method_data: o.elements.paymentMethodData()
        }).then(function (body) {
          return body.status === "requires_action" ? authenticateSetup(seti, o.clientSecret) : body;
        }).then(function (body) {
          if (body.status === "succeeded") { return { setupIntent: body }; }
          if (body.error) { return { error: body.error }; }
          return { error: { type: "invalid_request_error", code: "setup_intent_authentication_failure",
            message: "We are unable to authenticate your payment method.", setup_intent: body } };
        });
      },
      confirmPayment: function (o) {
        calls.push(["confirmPayment", { clientSecret: o.clientSecret, redirect: o.redirect }]);
        var pi = o.clientSecret.split("_secret_")[0];
        return api("/v1/payment_intents/" + pi + "/confirm", {
          key: key, client_secret: o.clientSecret, payment_method_data: o.elements.paymentMethodData()
        }).then(function (body) { return body.error ? { error: body.error } : { paymentIntent: body }; });
      },
      handleNextAction: function (o) {
        calls.push(["handleNextAction", { clientSecret: o.clientSecret }]);
        var pi = o.clientSecret.split("_secret_")[0];
        return modal("3D Secure").then(function (ok) {
          return api("/v1/payment_intents/" + pi + "/_authenticate?success=" + ok,
            { key: key, client_secret: o.clientSecret });
        }).then(function (body) {
          if (body.error) { return { error: body.error }; }
          if (body.status === "requires_payment_method") {
            return { error: { type: "card_error", code: "payment_intent_authentication_failure",
              message: "We are unable to authenticate your payment method.", payment_intent: body } };
          }
          return { paymentIntent: body };
        });
      }
    };
  };
})();
