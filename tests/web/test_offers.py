"""Discounts and settlement offers over HTTP: the staff forms, the patient's bill and the
checkout variants, with translated refusals that change nothing."""

import html
import re
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from babel.dates import format_date
from flask_babel import force_locale, gettext

from portal.extensions import db
from portal.models import (
    DiscountPolicy,
    Invoice,
    LedgerEntry,
    Payment,
    Practice,
    SettlementOffer,
    StaffUser,
)
from portal.money import format_money
from portal.services.access import links
from portal.services.billing import ledger
from portal.services.core.audit import SYSTEM, Actor
from portal.services.incentives import discounts, settlements
from tests import factories
from tests.conftest import _make_app
from tests.support import stripe_js
from tests.web.patient_client import open_and_verify, post_json
from tests.web.staff_client import csrf, make_staff, sign_in

ROME = ZoneInfo("Europe/Rome")


def today() -> date:
    """Today where the Italian test practice is: its deadlines are its calendar days."""
    return datetime.now(ROME).date()


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def translated(message: str, locale: str, **values) -> str:
    with force_locale(locale):
        return gettext(message, **values) if values else gettext(message)


# --- set-up -------------------------------------------------------------------------------


def billed(amounts=(12000, 3450), issued=None, discount=None, **patient):
    """A practice, patient, invoice issued `issued` (default today) and a link; call in an
    app context. Returns (invoice id, token)."""
    practice = factories.practice()
    if discount:
        db.session.add(DiscountPolicy(practice_id=practice.id, **discount))
    invoice = factories.invoice(
        factories.patient(practice, **patient), amounts, today=issued or today()
    )
    _, token = links.issue(invoice, SYSTEM)
    db.session.commit()
    return invoice.id, token


def patient_client(app, token):
    client = app.test_client()
    open_and_verify(client, token)
    return client


def staff_client(app, practice_id, role="billing", locale="en"):
    with app.app_context():
        email = make_staff(db.session.get(Practice, practice_id), role, locale=locale).email
    client = app.test_client()
    sign_in(client, email)
    return client


def offer(invoice_id, amount=10000, expires=None):
    invoice = db.session.get(Invoice, invoice_id)
    email = f"clerk-{invoice.practice.slug}@example.org"
    user = db.session.scalar(db.select(StaffUser).filter_by(email=email))
    user = user or make_staff(invoice.practice, "billing", email=email)
    made = settlements.offer_settlement(
        invoice,
        amount,
        expires or today() + timedelta(days=7),
        Actor("staff", str(user.id)),
        today(),
    )
    db.session.commit()
    return made.id


def offers_of(invoice_id):
    return db.session.scalars(db.select(SettlementOffer).filter_by(invoice_id=invoice_id)).all()


@pytest.fixture
def stripe_web(database_url, stripe_base):
    app = _make_app(database_url, stripe_base)
    yield app
    with app.app_context():
        db.engine.dispose()


def save_card(app, client, number="4242424242424242"):
    secret = post_json(client, "/pay/setup", {"method": "card"}).get_json()["client_secret"]
    return stripe_js.confirm_card_setup(app.config["STRIPE_API_BASE"], secret, number)["id"]


# --- staff: discount settings ---------------------------------------------------------------


def owner(web_app):
    with web_app.app_context():
        practice_id = factories.practice().id
        db.session.commit()
    return staff_client(web_app, practice_id, "owner"), practice_id


def test_owner_sets_the_discount_and_the_deposit_rule(web_app):
    client, practice_id = owner(web_app)
    page = client.get("/staff/settings/discounts")
    assert page.status_code == 200 and "No early-payment discount." in text(page)
    form = dict(
        enabled="y", percent="5", within_days="10", deposit_threshold="1000", deposit_percent="25"
    )
    response = client.post("/staff/settings/discounts", data={"csrf_token": csrf(client), **form})
    assert response.status_code == 302
    with web_app.app_context():
        policy = db.session.scalar(db.select(DiscountPolicy).filter_by(practice_id=practice_id))
        assert (policy.enabled, policy.percent, policy.within_days) == (True, 5, 10)
        assert (policy.deposit_threshold_minor, policy.deposit_percent) == (100000, 25)
        assert discounts.minimum_deposit(practice_id, 100000) == 25000
    page = text(client.get("/staff/settings/discounts"))
    assert "the patient saves €50.00 and pays €950.00" in page
    assert "need a deposit of at least 25%: €250.00 on €1,000.00" in page
    assert 'value="1000.00"' in page


@pytest.mark.parametrize(
    "change,message",
    [
        ({"percent": "60"}, "The discount is a whole percentage from 1 to 50."),
        ({"percent": "five"}, "The discount is a whole percentage from 1 to 50."),
        ({"within_days": "0"}, "The number of days is from 1 to 365."),
        ({"deposit_percent": ""}, "give both the balance it starts from and the percentage"),
        ({"deposit_threshold": "-5"}, "Enter an amount greater than zero."),
        ({"deposit_percent": "100"}, "The deposit is a whole percentage from 1 to 99."),
    ],
)
def test_bad_discount_settings_change_nothing(web_app, change, message):
    client, practice_id = owner(web_app)
    form = dict(
        enabled="y", percent="5", within_days="10", deposit_threshold="1000", deposit_percent="25"
    )
    form.update(change)
    response = client.post("/staff/settings/discounts", data={"csrf_token": csrf(client), **form})
    assert response.status_code == 422
    assert message in text(response)
    with web_app.app_context():
        assert discounts.discount_policy(practice_id) is None


def test_only_the_owner_changes_discounts(web_app):
    with web_app.app_context():
        practice_id = factories.practice().id
        db.session.commit()
    client = staff_client(web_app, practice_id, "billing")
    assert client.get("/staff/settings/discounts").status_code == 403


# --- staff: settlement offers ---------------------------------------------------------------


def test_billing_staff_make_and_withdraw_an_offer(web_app):
    with web_app.app_context():
        invoice_id, _ = billed()
        practice = db.session.get(Invoice, invoice_id).practice_id
    client = staff_client(web_app, practice)
    page = f"/staff/invoices/{invoice_id}"
    assert "No settlement offers." in text(client.get(page))
    expires = today() + timedelta(days=7)
    response = client.post(
        f"{page}/offers",
        data={"csrf_token": csrf(client, page), "amount": "100,00", "expires_on": str(expires)},
    )
    assert response.status_code == 302
    with web_app.app_context():
        (made,) = offers_of(invoice_id)
        assert (made.amount_minor, made.expires_on, made.status) == (10000, expires, "open")
        assert made.staff_id is not None
        offer_id = made.id
    shown = text(client.get(page))
    assert "Settlement offer made." in shown
    row = re.search(rf'<li id="offer-{offer_id}">(.*?)</li>', shown, re.S).group(1)
    assert "€100.00" in row and ">Open<" in row and "Withdraw" in row
    assert "Offer a settlement" not in shown  # one open offer at a time
    response = client.post(
        f"{page}/offers/{offer_id}/withdraw", data={"csrf_token": csrf(client, page)}
    )
    assert response.status_code == 302
    row = re.search(rf'<li id="offer-{offer_id}">(.*?)</li>', text(client.get(page)), re.S)
    assert ">Withdrawn<" in row.group(1)
    with web_app.app_context():
        assert offers_of(invoice_id)[0].status == "withdrawn"


CASES = [
    ("154.50", 7, "A settlement offer must be less than the balance."),
    ("200", 7, "A settlement offer must be less than the balance."),
    ("-5", 7, "Enter an amount greater than zero."),
    ("0", 7, "Enter an amount greater than zero."),
    ("dieci", 7, "Enter an amount like 120.50."),
    ("100", -1, "The expiry date cannot be in the past."),
    ("100", None, "Enter the date until which the offer is valid."),
]


@pytest.mark.parametrize("locale", ["en", "it"])
@pytest.mark.parametrize("amount,days,message", CASES)
def test_bad_offer_is_refused_in_the_staff_language(web_app, locale, amount, days, message):
    with web_app.app_context():
        invoice_id, _ = billed()
        practice = db.session.get(Invoice, invoice_id).practice_id
        expected = translated(message, locale)
    client = staff_client(web_app, practice, locale=locale)
    page = f"/staff/invoices/{invoice_id}"
    expires = "" if days is None else str(today() + timedelta(days=days))
    response = client.post(
        f"{page}/offers",
        data={"csrf_token": csrf(client, page), "amount": amount, "expires_on": expires},
        follow_redirects=True,
    )
    assert response.status_code == 200
    assert expected in text(response)
    with web_app.app_context():
        assert offers_of(invoice_id) == []
        assert ledger.balance(invoice_id) == 15450


def test_viewers_and_other_practices_cannot_offer(web_app):
    with web_app.app_context():
        invoice_id, _ = billed()
        practice = db.session.get(Invoice, invoice_id).practice_id
        other = factories.practice().id
        db.session.commit()
    viewer = staff_client(web_app, practice, "viewer")
    page = f"/staff/invoices/{invoice_id}"
    assert "Offer a settlement" not in text(viewer.get(page))
    form = {"csrf_token": csrf(viewer, page), "amount": "100", "expires_on": str(today())}
    assert viewer.post(f"{page}/offers", data=form).status_code == 403
    stranger = staff_client(web_app, other, "owner")
    form["csrf_token"] = csrf(stranger)
    assert stranger.post(f"{page}/offers", data=form).status_code == 404
    with web_app.app_context():
        assert offers_of(invoice_id) == []


# --- patient: the bill ----------------------------------------------------------------------

DISCOUNT = {"percent": 5, "within_days": 10}


@pytest.mark.parametrize("locale", ["en", "it"])
def test_the_bill_shows_the_discount_in_the_patient_language(web_app, locale):
    with web_app.app_context():
        _, token = billed(discount=DISCOUNT, locale=locale)
        deadline = today() + timedelta(days=10)
        expected = translated(
            "Pay by %(date)s and save %(saving)s: pay %(amount)s",
            locale,
            date=format_date(deadline, format="medium", locale=locale),
            saving=format_money(773, "EUR", locale),
            amount=format_money(14677, "EUR", locale),
        )
    page = text(patient_client(web_app, token).get("/pay"))
    assert expected in page
    assert "/pay/discount" in page
    if locale == "it":
        assert "7,73\xa0€" in page and "146,77\xa0€" in page
    else:
        assert "save €7.73: pay €146.77" in page


def test_no_discount_after_the_deadline(web_app):
    with web_app.app_context():
        _, token = billed(discount=DISCOUNT, issued=today() - timedelta(days=11), locale="en")
    client = patient_client(web_app, token)
    assert "/pay/discount" not in text(client.get("/pay"))
    page = client.get("/pay/discount")
    assert page.status_code == 410
    assert "The early-payment discount is no longer available." in text(page)
    refused = post_json(client, "/pay/discount/confirm", {"setup_intent_id": "seti_123"})
    assert refused.status_code == 409
    assert refused.get_json()["reason"] == "discount_unavailable"


def test_discount_refusal_is_translated(web_app):
    with web_app.app_context():
        _, token = billed(discount=DISCOUNT, issued=today() - timedelta(days=30), locale="it")
        expected = translated(
            "The early-payment discount is no longer available. "
            "Please see your bill for the amount due.",
            "it",
        )
    client = patient_client(web_app, token)
    refused = post_json(client, "/pay/discount/confirm", {"setup_intent_id": "seti_123"})
    assert refused.get_json()["error"] == expected


def test_the_bill_shows_the_settlement_offer(web_app):
    with web_app.app_context():
        invoice_id, token = billed(locale="en")
        offer_id = offer(invoice_id, 10000, today() + timedelta(days=7))
        day = format_date(today() + timedelta(days=7), format="medium", locale="en")
    client = patient_client(web_app, token)
    page = text(client.get("/pay"))
    assert f"Settle for €100.00 by {day}" in page
    assert "the remaining €54.50 is forgiven" in page
    assert f'href="/pay/settlement/{offer_id}"' in page
    checkout = text(client.get(f"/pay/settlement/{offer_id}"))
    assert "Settle your bill" in checkout
    assert 'id="amount">€100.00<' in checkout
    assert f'data-confirm-url="/pay/settlement/{offer_id}/confirm"' in checkout


def test_expired_withdrawn_and_foreign_offers_cannot_be_opened(web_app):
    with web_app.app_context():
        invoice_id, token = billed(locale="en")
        expired = offer(invoice_id, 10000, today())
        db.session.get(SettlementOffer, expired).expires_on = today() - timedelta(days=1)
        db.session.commit()
        withdrawn = offer(invoice_id, 9000)
        db.session.get(SettlementOffer, withdrawn).status = "withdrawn"
        db.session.commit()
        other_invoice, _ = billed()
        foreign = offer(other_invoice)
    client = patient_client(web_app, token)
    assert "Settle for" not in text(client.get("/pay"))
    for offer_id in (expired, withdrawn):
        page = client.get(f"/pay/settlement/{offer_id}")
        assert page.status_code == 410
        assert "This offer is no longer available." in text(page)
    assert client.get(f"/pay/settlement/{foreign}").status_code == 404
    refused = post_json(client, f"/pay/settlement/{foreign}/confirm", {"setup_intent_id": "x"})
    assert (refused.status_code, refused.get_json()["reason"]) == (409, "offer_unavailable")


# --- patient: paying through the pages (localstripe) ----------------------------------------


@pytest.mark.stripe
def test_pay_the_discounted_amount_through_the_pages(stripe_web):
    with stripe_web.app_context():
        invoice_id, token = billed(discount=DISCOUNT, locale="en")
    client = patient_client(stripe_web, token)
    checkout = text(client.get("/pay/discount"))
    assert 'id="amount">€146.77<' in checkout and "Pay early and save" in checkout
    seti = save_card(stripe_web, client)
    body = post_json(
        client, "/pay/discount/confirm", {"setup_intent_id": seti, "amount": 1}
    ).get_json()
    assert body["status"] == "succeeded"
    result = text(client.get(body["next"]))
    assert "Payment received" in result and "€146.77" in result
    assert "€0.00" in result
    with stripe_web.app_context():
        payment = db.session.scalars(db.select(Payment)).one()
        assert (payment.amount_minor, payment.purpose) == (14677, "discounted")
        kinds = db.session.scalars(
            db.select(LedgerEntry.kind).filter_by(invoice_id=invoice_id).order_by(LedgerEntry.id)
        ).all()
        assert kinds == ["charge", "payment", "discount"]
        assert ledger.balance(invoice_id) == 0
    assert "Paid in full. Thank you!" in text(client.get("/pay"))
    again = post_json(client, "/pay/discount/confirm", {"setup_intent_id": seti})
    assert again.status_code == 409


@pytest.mark.stripe
def test_pay_a_settlement_offer_once_through_the_pages(stripe_web):
    with stripe_web.app_context():
        invoice_id, token = billed(locale="it")
        offer_id = offer(invoice_id, 10000)
        unavailable = translated(
            "This offer is no longer available. Please see your bill for the amount due.", "it"
        )
    client = patient_client(stripe_web, token)
    seti = save_card(stripe_web, client)
    url = f"/pay/settlement/{offer_id}/confirm"
    body = post_json(client, url, {"setup_intent_id": seti}).get_json()
    assert body["status"] == "succeeded"
    again = post_json(client, url, {"setup_intent_id": seti})
    assert again.status_code == 409
    assert again.get_json()["error"] in (
        unavailable,
        translated("There is nothing left to pay on this bill.", "it"),
    )
    with stripe_web.app_context():
        entries = db.session.scalars(
            db.select(LedgerEntry).filter_by(invoice_id=invoice_id).order_by(LedgerEntry.id)
        ).all()
        assert [(e.kind, e.amount_minor) for e in entries] == [
            ("charge", 15450),
            ("payment", -10000),
            ("settlement", -5450),
        ]
        assert offers_of(invoice_id)[0].status == "accepted"
        assert db.session.scalar(db.select(db.func.count()).select_from(Payment)) == 1
    result = text(client.get(body["next"]))
    assert "0,00\xa0€" in result


@pytest.mark.stripe
def test_settlement_with_three_d_secure_is_booked_on_read_back(stripe_web):
    with stripe_web.app_context():
        invoice_id, token = billed(locale="en")
        offer_id = offer(invoice_id, 10000)
    client = patient_client(stripe_web, token)
    seti = save_card(stripe_web, client, "4000002760003184")
    body = post_json(
        client, f"/pay/settlement/{offer_id}/confirm", {"setup_intent_id": seti}
    ).get_json()
    assert body["status"] == "requires_action"
    assert body["refresh"].startswith("/pay/incentives/payments/")
    stripe_js.confirm_card_payment(stripe_web.config["STRIPE_API_BASE"], body["client_secret"])
    after = post_json(client, body["refresh"], {}).get_json()
    assert after["status"] == "succeeded"
    with stripe_web.app_context():
        assert ledger.balance(invoice_id) == 0
        assert ledger.total_of(invoice_id, "settlement") == 5450
        assert offers_of(invoice_id)[0].status == "accepted"
