"""A patient pays in Chromium into the practice's own Stripe account (its own localstripe)."""

import urllib.error
from datetime import date

import pytest
from playwright.sync_api import expect

from portal.extensions import db
from portal.models import Payment
from portal.services.access import links
from portal.services.billing import ledger
from portal.services.core.audit import SYSTEM
from portal.services.payments import stripe_accounts
from tests import factories
from tests.browser import pages
from tests.support import servers, stripe_js
from tests.support.accounts import SECRET_B, WEBHOOK_B, intent_ids

pytestmark = [pytest.mark.browser, pytest.mark.stripe]


def test_card_and_3d_secure_against_the_practices_own_account(live_stripe_app, page):
    with servers.localstripe() as own:
        practice = factories.practice(slug="maple", name="Maple Family Dental", **factories.USA)
        stripe_accounts.set_credentials(
            practice,
            SYSTEM,
            publishable_key="pk_test_maple_browser",
            secret_key=SECRET_B,
            webhook_secret=WEBHOOK_B,
            api_base=own,
        )
        patient = factories.patient(practice, date_of_birth=date(1990, 7, 4), locale="en")
        invoice = factories.invoice(patient, amounts=(9900,))
        _, token = links.issue(invoice, SYSTEM)
        db.session.commit()

        pages.open_link(page, f"{live_stripe_app.live_url}/p/{token}")
        pages.verify(page, date(1990, 7, 4))
        pages.go_to_checkout(page)
        pages.fill_card(page, pages.CARD_3DS)
        pages.pay(page)
        pages.authenticate(page, succeed=True)  # saving the card (SetupIntent)
        pages.authenticate(page, succeed=True)  # the payment itself (PaymentIntent)
        expect(page).to_have_url(pages.RESULT_URL)
        expect(page.get_by_role("heading", level=1)).to_have_text("Payment received")

        db.session.expire_all()
        payment = db.session.scalars(db.select(Payment).filter_by(invoice_id=invoice.id)).one()
        assert (payment.status, ledger.balance(invoice.id)) == ("succeeded", 0)
        assert intent_ids(own) == [payment.stripe_payment_intent_id]
        installation = live_stripe_app.config["STRIPE_API_BASE"]
        with pytest.raises(urllib.error.HTTPError) as missing:
            stripe_js.get(installation, f"/v1/payment_intents/{payment.stripe_payment_intent_id}")
        missing.value.close()
        assert missing.value.code == 404
