"""Desk payments claimed like card charges: staff recording the whole balance at the desk
while the patient pays it by card, in separate processes against the same database, book it
once; a double-submitted desk form books once."""

import pytest

from portal.extensions import db
from portal.models import ChargeAttempt, LedgerEntry, Payment
from portal.services.billing import ledger, money
from portal.services.core.audit import SYSTEM
from tests import factories
from tests.services.payments.test_charge_race import intents_at_stripe
from tests.services.payments.test_payments import saved_card
from tests.support import forks, workers
from tests.support.stripe_proxy import StripeProxy

pytestmark = pytest.mark.stripe

#: each process builds the app, waits for the start file, then tries to take the balance
SCRIPT = """
import os, sys, time
from portal import create_app
from portal.extensions import db
from portal.models import Invoice
from portal.services.billing import money
from portal.services.core.audit import Actor
from portal.services.payments import payments, saved_methods

kind, invoice_id, value, start = sys.argv[1:]
app = create_app()
with app.app_context():
    invoice = db.session.get(Invoice, int(invoice_id))
    while not os.path.exists(start):
        time.sleep(0.01)
    try:
        if kind == "desk":
            staff = Actor("staff", "desk", "127.0.0.1")
            payment = money.record_desk_payment(invoice, 27500, "cash", staff, claim_key=value)
            print("desk booked", payment.id)
        else:
            outcome = saved_methods.pay_in_full(invoice, value, Actor("patient", "link", "127.0.0.1"))
            print("card", outcome.payment.status, outcome.payment.id)
    except (money.MoneyRefused, payments.PaymentRefused) as exc:
        print("refused", type(exc).__name__)
"""


def start(forker: forks.Forker, kind: str, invoice_id: int, value: str, flag) -> forks.Forked:
    """One racing process, forked from the booted parent (as gunicorn forks its workers)."""
    return forker.start(["-c", kind, str(invoice_id), value, str(flag)], SCRIPT)


def test_desk_and_card_racing_for_the_balance_book_it_once(stripe_app, tmp_path):
    invoice, _ = factories.invoice_with_link(amounts=(27500,))
    seti, _ = saved_card(stripe_app, invoice, "4242424242424242")
    base = stripe_app.config["STRIPE_API_BASE"]
    flag = tmp_path / "go"
    with StripeProxy(base) as proxy:
        # the card's create is answered a second late: it holds the invoice meanwhile
        proxy.reset("delay_answer", delay=1.0)
        with forks.Forker(workers.env_for(stripe_app, proxy.url)) as forker:
            desk = [money.new_claim_key() for _ in range(2)]
            started = [start(forker, "desk", invoice.id, key, flag) for key in desk]
            started += [start(forker, "card", invoice.id, seti, flag) for _ in range(2)]
            flag.touch()
            outputs = [workers.finish(process).split() for process in started]
    won = [o for o in outputs if o[0] != "refused"]
    # exactly one process took the balance, by desk or by card; the others were refused
    assert len(won) == 1 and won[0][:2] in (["desk", "booked"], ["card", "succeeded"])
    db.session.expire_all()
    booked = db.session.scalars(
        db.select(Payment).filter_by(invoice_id=invoice.id, status="succeeded")
    ).all()
    assert [p.id for p in booked] == [int(won[0][-1])]
    assert db.session.scalars(
        db.select(LedgerEntry.amount_minor).filter_by(invoice_id=invoice.id, kind="payment")
    ).all() == [-27500]
    assert ledger.balance(invoice.id) == 0
    # a card charge reached Stripe only if the card won
    card_won = won[0][0] == "card"
    assert len(intents_at_stripe(base, {invoice.patient.stripe_customer_id})) == int(card_won)
    # every attempt was claimed in the database, the winner's claim is its payment's
    claim = db.session.scalars(db.select(ChargeAttempt).filter_by(payment_id=booked[0].id)).one()
    assert claim.payment.method == ("card" if card_won else "cash")


def test_a_double_submitted_desk_form_books_once(app):
    invoice, _ = factories.invoice_with_link(amounts=(27500,))
    key = money.new_claim_key()
    first = money.record_desk_payment(invoice, 10000, "cash", SYSTEM, claim_key=key)
    again = money.record_desk_payment(invoice, 10000, "cash", SYSTEM, claim_key=key)
    assert again.id == first.id
    assert ledger.balance(invoice.id) == 17500
    other = money.record_desk_payment(
        invoice, 10000, "cash", SYSTEM, claim_key=money.new_claim_key()
    )
    assert other.id != first.id
    assert ledger.balance(invoice.id) == 7500
