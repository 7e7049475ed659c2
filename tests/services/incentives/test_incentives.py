"""Early-payment discounts, settlement offers and the deposit rule, against localstripe.

`booking.on_payment_succeeded(payment)` is called by `payments.apply_intent` after every
successful payment. Where a payment succeeds later than the charge call (3-D Secure read
back, webhook), the tests call it exactly as apply_intent does; calling it again is a no-op.
"""

from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from portal.extensions import db
from portal.models import (
    AuditEvent,
    DiscountPolicy,
    LedgerEntry,
    Payment,
    SettlementOffer,
    StaffUser,
)
from portal.services.billing import ledger
from portal.services.core.audit import Actor
from portal.services.incentives import booking, claims, discounts, rules, settlements
from portal.services.incentives.rules import IncentiveRefused
from portal.services.payments import payments, saved_methods
from portal.services.payments.payments import PaymentRefused
from tests import factories
from tests.services.payments.test_payments import saved_card, saved_iban, wait_for
from tests.services.plans.test_plans import pay_down_payment, signed_plan
from tests.support import stripe_js
from tests.web.staff_client import make_staff

PATIENT = Actor("patient", "link:test", "203.0.113.9")
ISSUED = date(2026, 11, 10)
CARD_OK, CARD_3DS, CARD_DECLINED = "4242424242424242", "4000002760003184", "4000000000000341"


def discount_policy(practice, **values):
    values = {"percent": 5, "within_days": 10, **values}
    record = DiscountPolicy(practice_id=practice.id, **values)
    db.session.add(record)
    db.session.commit()
    return record


def open_invoice(amounts=(12000, 3450), issued=ISSUED, **patient):
    practice = factories.practice()
    return factories.invoice(factories.patient(practice, **patient), amounts, today=issued)


def saved(app, invoice, number=CARD_OK):
    seti, _ = saved_card(app, invoice, number)
    return saved_methods.saved_method(invoice, seti)


def entries(invoice):
    db.session.expire_all()
    query = db.select(LedgerEntry).filter_by(invoice_id=invoice.id).order_by(LedgerEntry.id)
    return [(e.kind, e.amount_minor) for e in db.session.scalars(query)]


def state(invoice):
    """Everything a refusal must leave as it was."""
    db.session.expire_all()
    payments_ = db.session.scalars(
        db.select(Payment).filter_by(invoice_id=invoice.id).order_by(Payment.id)
    ).all()
    offers = db.session.scalars(
        db.select(SettlementOffer).filter_by(invoice_id=invoice.id).order_by(SettlementOffer.id)
    ).all()
    return (
        entries(invoice),
        [(p.id, p.status, p.amount_minor) for p in payments_],
        [(o.id, o.status, o.payment_id) for o in offers],
        db.session.get(type(invoice), invoice.id).status,
    )


# --- the discount's arithmetic ----------------------------------------------------------


@pytest.mark.parametrize(
    "balance,percent,discount",
    [
        (15450, 5, 773),  # 772.5 -> 773: half a cent goes to the patient
        (15449, 5, 772),  # 772.45
        (15430, 5, 772),  # 771.5 -> 772
        (10, 5, 1),  # 0.5 -> 1
        (9, 5, 0),  # 0.45 -> 0
        (1, 50, 1),  # 0.5 -> 1 (then it is the whole balance: not offered)
        (99999, 1, 1000),  # 999.99
        (100, 50, 50),
        (0, 5, 0),
    ],
)
def test_discount_rounds_half_up(balance, percent, discount):
    assert rules.discount_minor(balance, percent) == discount


@given(balance=st.integers(1, 10**12), percent=st.integers(1, 50))
@example(balance=15450, percent=5)
@example(balance=1, percent=1)
def test_discount_is_the_exact_percentage_rounded_half_up(balance, percent):
    exact = Decimal(balance) * percent / 100
    discount = rules.discount_minor(balance, percent)
    assert discount == int(exact.quantize(Decimal(1), rounding=ROUND_HALF_UP))
    assert abs(Decimal(discount) - exact) <= Decimal("0.5")
    assert 0 <= discount <= balance // 2 + 1
    # payment and discount add up to the balance, to the cent
    assert (balance - discount) + discount == balance


def test_the_bill_shows_the_discount_until_the_deadline(app):
    invoice = open_invoice()
    discount_policy(invoice.practice)
    offer = discounts.early_discount(invoice, ISSUED)
    assert offer == rules.Discount(5, date(2026, 11, 20), 15450, 773, "EUR")
    assert offer.pay_minor == 14677
    # the deadline day counts; the day after does not
    assert discounts.early_discount(invoice, date(2026, 11, 20)) is not None
    assert discounts.early_discount(invoice, date(2026, 11, 21)) is None
    assert discounts.early_discount(invoice, ISSUED - timedelta(days=1)) is not None
    assert discounts.forgone_discount_minor(invoice, date(2026, 11, 20)) == 773
    assert discounts.forgone_discount_minor(invoice, date(2026, 11, 21)) == 0


def test_no_discount_without_an_enabled_policy_or_below_a_cent(app):
    invoice = open_invoice()
    assert discounts.early_discount(invoice, ISSUED) is None
    record = discount_policy(invoice.practice, enabled=False)
    assert discounts.early_discount(invoice, ISSUED) is None
    record.enabled = True
    db.session.commit()
    tiny = factories.invoice(invoice.patient, (9,), number="tiny", today=ISSUED)
    assert discounts.early_discount(tiny, ISSUED) is None  # 5% of 9 cents rounds to 0
    one = factories.invoice(invoice.patient, (1,), number="one", today=ISSUED)
    record.percent = 50
    db.session.commit()
    assert discounts.early_discount(one, ISSUED) is None  # it would be the whole balance


def test_the_discount_is_computed_on_what_is_left(app):
    invoice = open_invoice()
    discount_policy(invoice.practice)
    ledger.post(invoice, "payment", 5450)  # e.g. paid at the desk
    db.session.commit()
    offer = discounts.early_discount(invoice, ISSUED)
    assert (offer.balance_minor, offer.discount_minor, offer.pay_minor) == (10000, 500, 9500)


# --- paying with the discount ------------------------------------------------------------


def test_paying_in_full_by_the_deadline_books_the_discount(stripe_app):
    invoice = open_invoice()
    discount_policy(invoice.practice)
    outcome = discounts.pay_discounted(
        invoice, saved(stripe_app, invoice), PATIENT, date(2026, 11, 20)
    )
    payment = outcome.payment
    assert (outcome.status, payment.amount_minor, payment.purpose) == (
        "succeeded",
        14677,
        "discounted",
    )
    assert entries(invoice) == [("charge", 15450), ("payment", -14677), ("discount", -773)]
    assert ledger.balance(invoice.id) == 0
    assert invoice.status == "paid"
    discount_entry = db.session.scalars(db.select(LedgerEntry).filter_by(kind="discount")).one()
    assert discount_entry.payment_id == payment.id
    intent = stripe_js.get(
        stripe_app.config["STRIPE_API_BASE"],
        f"/v1/payment_intents/{payment.stripe_payment_intent_id}",
    )
    assert (intent["amount"], intent["status"]) == (14677, "succeeded")
    # the hook again (webhook, read-back): nothing more is booked
    booking.on_payment_succeeded(payment)
    payments.refresh(payment, PATIENT)
    assert entries(invoice) == [("charge", 15450), ("payment", -14677), ("discount", -773)]
    # and the discount is used: there is none for a second time
    assert discounts.early_discount(invoice, date(2026, 11, 20)) is None


def test_after_the_deadline_the_discount_is_refused_and_nothing_changes(stripe_app):
    invoice = open_invoice()
    discount_policy(invoice.practice)
    method = saved(stripe_app, invoice)
    before = state(invoice)
    with pytest.raises(PaymentRefused) as refused:
        discounts.pay_discounted(invoice, method, PATIENT, date(2026, 11, 21))
    assert refused.value.reason == "discount_unavailable"
    assert state(invoice) == before
    # the normal amount still applies
    assert payments.charge(invoice, method, PATIENT).payment.amount_minor == 15450
    assert entries(invoice) == [("charge", 15450), ("payment", -15450)]


def test_no_discount_once_a_plan_is_running(stripe_app):
    invoice, plan, method = signed_plan(stripe_app, amounts=(120000, 34500))
    discount_policy(invoice.practice, within_days=3650)
    today = invoice.issued_on
    assert discounts.forgone_discount_minor(invoice, today) == 7725  # 5% of 1545.00
    pay_down_payment(invoice, plan, method)
    assert discounts.early_discount(invoice, today) is None
    before = state(invoice)
    with pytest.raises(PaymentRefused) as refused:
        discounts.pay_discounted(invoice, method, PATIENT, today)
    assert refused.value.reason == "discount_unavailable"
    assert state(invoice) == before


def test_discount_with_three_d_secure_is_booked_when_the_bank_confirms(stripe_app):
    invoice = open_invoice()
    discount_policy(invoice.practice)
    outcome = discounts.pay_discounted(
        invoice, saved(stripe_app, invoice, CARD_3DS), PATIENT, ISSUED
    )
    assert outcome.status == "requires_action"
    assert entries(invoice) == [("charge", 15450)]
    stripe_js.confirm_card_payment(stripe_app.config["STRIPE_API_BASE"], outcome.client_secret)
    payment = payments.refresh(outcome.payment, PATIENT)
    booking.on_payment_succeeded(payment)  # as apply_intent does on success
    booking.on_payment_succeeded(payment)
    assert entries(invoice) == [("charge", 15450), ("payment", -14677), ("discount", -773)]
    assert invoice.status == "paid"


def test_declined_discounted_payment_books_nothing_and_keeps_the_discount(stripe_app):
    invoice = open_invoice()
    discount_policy(invoice.practice)
    with pytest.raises(PaymentRefused) as refused:
        discounts.pay_discounted(
            invoice, saved(stripe_app, invoice, CARD_DECLINED), PATIENT, ISSUED
        )
    assert refused.value.reason == "declined"
    assert entries(invoice) == [("charge", 15450)]
    assert discounts.early_discount(invoice, ISSUED).pay_minor == 14677
    outcome = discounts.pay_discounted(invoice, saved(stripe_app, invoice), PATIENT, ISSUED)
    assert outcome.payment.amount_minor == 14677
    assert ledger.balance(invoice.id) == 0


def test_discount_refused_when_the_balance_moved_under_it(stripe_app):
    """The amount was computed on one balance and another is owed when the payment row goes
    in (a desk payment in between): the claim is refused before Stripe is called."""
    invoice = open_invoice()
    discount_policy(invoice.practice)
    method = saved(stripe_app, invoice)
    stale = claims.Claim(
        invoice_id=invoice.id,
        purpose="discounted",
        balance_minor=10000,
        forgive_minor=500,
        actor=PATIENT,
        percent=5,
    )
    before = state(invoice)
    with pytest.raises(PaymentRefused) as refused:
        claims.charge(invoice, method, PATIENT, 9500, stale)
    assert refused.value.reason == "discount_unavailable"
    assert state(invoice) == before
    assert (
        db.session.scalar(
            db.select(db.func.count()).select_from(AuditEvent).filter_by(action="discount.claimed")
        )
        == 0
    )


# --- settlement offers -------------------------------------------------------------------


def staff(practice):
    """A billing clerk of `practice`, as the actor of a staff change."""
    user = db.session.scalar(db.select(StaffUser).filter_by(practice_id=practice.id))
    user = user or make_staff(practice, "billing")
    return Actor("staff", str(user.id), "203.0.113.10")


def make_offer(invoice, amount=10000, expires=ISSUED + timedelta(days=7)):
    offer = settlements.offer_settlement(invoice, amount, expires, staff(invoice.practice), ISSUED)
    db.session.commit()
    return offer


def test_accepting_a_settlement_offer_writes_off_the_rest(stripe_app):
    invoice = open_invoice()
    offer = make_offer(invoice)
    assert settlements.open_offer(invoice, ISSUED) == offer
    outcome = settlements.pay_settlement(offer, saved(stripe_app, invoice), PATIENT, ISSUED)
    payment = outcome.payment
    assert (outcome.status, payment.amount_minor, payment.purpose) == (
        "succeeded",
        10000,
        "settlement",
    )
    assert entries(invoice) == [("charge", 15450), ("payment", -10000), ("settlement", -5450)]
    settlement = db.session.scalars(db.select(LedgerEntry).filter_by(kind="settlement")).one()
    assert (settlement.payment_id, settlement.memo) == (payment.id, f"Settlement offer {offer.id}")
    assert ledger.balance(invoice.id) == 0
    assert invoice.status == "paid"
    db.session.refresh(offer)
    assert (offer.status, offer.payment_id) == ("accepted", payment.id)
    actions = db.session.scalars(
        db.select(AuditEvent.action).filter_by(invoice_id=invoice.id).order_by(AuditEvent.id)
    ).all()
    for action in (
        "settlement.offered",
        "settlement.claimed",
        "payment.succeeded",
        "settlement.booked",
        "settlement.accepted",
        "invoice.paid",
    ):
        assert action in actions


def test_a_settlement_offer_is_paid_once(stripe_app):
    invoice = open_invoice()
    offer = make_offer(invoice)
    method = saved(stripe_app, invoice)
    settlements.pay_settlement(offer, method, PATIENT, ISSUED)
    before = state(invoice)
    with pytest.raises(PaymentRefused) as refused:
        settlements.pay_settlement(offer, method, PATIENT, ISSUED)
    assert refused.value.reason == "offer_unavailable"
    assert state(invoice) == before


def test_second_payment_refused_while_the_first_is_not_yet_booked(stripe_app):
    """The first payment has succeeded but its settlement is not booked yet (the moment
    between the payment's commit and the hook): a second click must not charge again."""
    invoice = open_invoice()
    offer = make_offer(invoice, amount=5000)
    second = saved(stripe_app, invoice)
    first = Payment(
        invoice_id=invoice.id,
        amount_minor=5000,
        currency="EUR",
        method="card",
        purpose="settlement",
        status="succeeded",
    )
    db.session.add(first)
    db.session.flush()
    ledger.post(invoice, "payment", 5000, payment_id=first.id)
    offer.payment_id = first.id
    db.session.commit()
    before = state(invoice)
    with pytest.raises(PaymentRefused) as refused:
        settlements.pay_settlement(offer, second, PATIENT, ISSUED)
    assert refused.value.reason == "offer_unavailable"
    assert state(invoice) == before
    # the database guard holds even when the checks above are passed by a racing request
    claim = claims.Claim(
        invoice_id=invoice.id,
        purpose="settlement",
        balance_minor=ledger.balance(invoice.id),
        forgive_minor=1,
        actor=PATIENT,
        offer_id=offer.id,
    )
    with pytest.raises(PaymentRefused) as refused:
        claims.charge(invoice, second, PATIENT, 5000, claim)
    assert refused.value.reason == "offer_unavailable"
    assert state(invoice) == before
    booking.on_payment_succeeded(first)  # the hook catches up
    assert entries(invoice) == [("charge", 15450), ("payment", -5000), ("settlement", -10450)]
    db.session.refresh(offer)
    assert offer.status == "accepted"


def test_double_click_while_in_flight_is_refused(stripe_app):
    invoice = open_invoice()
    offer = make_offer(invoice)
    first = settlements.pay_settlement(offer, saved(stripe_app, invoice, CARD_3DS), PATIENT, ISSUED)
    assert first.status == "requires_action"
    db.session.refresh(offer)
    assert offer.payment_id == first.payment.id
    # staff cannot withdraw it, and it does not lapse, while the patient is paying
    with pytest.raises(IncentiveRefused):
        settlements.withdraw(offer, staff(invoice.practice))
    assert settlements.expire_lapsed(ISSUED + timedelta(days=30)) == 0
    db.session.rollback()
    # a second click with the same card: the payment in flight is the only one
    stripe_js.confirm_card_payment(stripe_app.config["STRIPE_API_BASE"], first.client_secret)
    payment = payments.refresh(first.payment, PATIENT)
    booking.on_payment_succeeded(payment)
    with pytest.raises(PaymentRefused):
        settlements.pay_settlement(offer, saved(stripe_app, invoice), PATIENT, ISSUED)
    assert entries(invoice) == [("charge", 15450), ("payment", -10000), ("settlement", -5450)]
    assert db.session.scalar(db.select(db.func.count()).select_from(Payment)) == 1


def test_sepa_settlement_is_booked_when_the_debit_succeeds(stripe_app):
    invoice = open_invoice()
    offer = make_offer(invoice)
    seti = saved_iban(stripe_app, invoice, "DE89370400440532013000")
    outcome = settlements.pay_settlement(
        offer, saved_methods.saved_method(invoice, seti), PATIENT, ISSUED
    )
    payment = outcome.payment
    assert (payment.method, payment.purpose) == ("sepa_debit", "settlement")
    # Stripe answers "processing" for days; localstripe settles a good IBAN at once.
    assert wait_for(lambda: payments.refresh(payment, PATIENT).status == "succeeded")
    booking.on_payment_succeeded(payment)  # as apply_intent does on success
    assert entries(invoice) == [("charge", 15450), ("payment", -10000), ("settlement", -5450)]
    db.session.refresh(offer)
    assert (offer.status, offer.payment_id) == ("accepted", payment.id)


def test_failed_sepa_settlement_leaves_the_offer_open(stripe_app):
    invoice = open_invoice()
    offer = make_offer(invoice)
    seti = saved_iban(stripe_app, invoice, "DE62370400440532013001")
    try:
        outcome = settlements.pay_settlement(
            offer, saved_methods.saved_method(invoice, seti), PATIENT, ISSUED
        )
    except PaymentRefused:
        payment = db.session.scalars(db.select(Payment)).one()
    else:
        payment = outcome.payment
        assert wait_for(lambda: payments.refresh(payment, PATIENT).status == "failed")
    booking.on_payment_succeeded(payment)  # ignored: the payment did not succeed
    assert entries(invoice) == [("charge", 15450)]
    db.session.refresh(offer)
    assert offer.status == "open"
    assert settlements.open_offer(invoice, ISSUED) == offer


def test_declined_settlement_payment_can_be_tried_again(stripe_app):
    invoice = open_invoice()
    offer = make_offer(invoice)
    with pytest.raises(PaymentRefused) as refused:
        settlements.pay_settlement(
            offer, saved(stripe_app, invoice, CARD_DECLINED), PATIENT, ISSUED
        )
    assert refused.value.reason == "declined"
    assert entries(invoice) == [("charge", 15450)]
    db.session.refresh(offer)
    assert offer.status == "open"
    outcome = settlements.pay_settlement(offer, saved(stripe_app, invoice), PATIENT, ISSUED)
    assert outcome.status == "succeeded"
    db.session.refresh(offer)
    assert (offer.status, offer.payment_id) == ("accepted", outcome.payment.id)


def test_expired_offer_is_refused_and_nothing_changes(stripe_app):
    invoice = open_invoice()
    offer = make_offer(invoice, expires=ISSUED + timedelta(days=7))
    method = saved(stripe_app, invoice)
    last_day = ISSUED + timedelta(days=7)
    assert settlements.open_offer(invoice, last_day) == offer  # payable on its last day
    assert settlements.status_of(offer, last_day + timedelta(days=1)) == "expired"
    before = state(invoice)
    with pytest.raises(PaymentRefused) as refused:
        settlements.pay_settlement(offer, method, PATIENT, last_day + timedelta(days=1))
    assert refused.value.reason == "offer_unavailable"
    after = state(invoice)
    assert after[:2] == before[:2] and after[3] == before[3]  # no money, no payment
    assert after[2] == [(offer.id, "expired", None)]  # the offer lapsed, as recorded
    assert entries(invoice) == [("charge", 15450)]


def test_withdrawn_offer_is_refused_and_nothing_changes(stripe_app):
    invoice = open_invoice()
    offer = make_offer(invoice)
    settlements.withdraw(offer, staff(invoice.practice))
    db.session.commit()
    assert settlements.open_offer(invoice, ISSUED) is None
    method = saved(stripe_app, invoice)
    before = state(invoice)
    with pytest.raises(PaymentRefused) as refused:
        settlements.pay_settlement(offer, method, PATIENT, ISSUED)
    assert refused.value.reason == "offer_unavailable"
    assert state(invoice) == before


def test_offer_no_longer_below_the_balance_is_refused(stripe_app):
    invoice = open_invoice()
    offer = make_offer(invoice, amount=10000)
    ledger.post(invoice, "payment", 6000)  # paid at the desk meanwhile: 94.50 left
    db.session.commit()
    method = saved(stripe_app, invoice)
    before = state(invoice)
    with pytest.raises(PaymentRefused) as refused:
        settlements.pay_settlement(offer, method, PATIENT, ISSUED)
    assert refused.value.reason == "offer_unavailable"
    assert state(invoice) == before


def test_settling_a_running_plan_finishes_it(stripe_app):
    invoice, plan, method = signed_plan(stripe_app, amounts=(120000, 34500))
    pay_down_payment(invoice, plan, method)
    offer = make_offer(invoice, amount=50000, expires=date(2099, 1, 1))
    outcome = settlements.pay_settlement(offer, method, PATIENT, ISSUED)
    assert outcome.status == "succeeded"
    assert ledger.balance(invoice.id) == 0
    db.session.expire_all()
    assert plan.status == "completed"
    assert {i.status for i in plan.installments[1:]} == {"cancelled"}


# --- staff input -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "amount,expires,message",
    [
        (15450, ISSUED, "A settlement offer must be less than the balance."),
        (20000, ISSUED, "A settlement offer must be less than the balance."),
        (0, ISSUED, "Enter an amount greater than zero."),
        (-100, ISSUED, "Enter an amount greater than zero."),
        (10000, ISSUED - timedelta(days=1), "The expiry date cannot be in the past."),
    ],
)
def test_bad_offers_are_refused(app, amount, expires, message):
    invoice = open_invoice()
    with pytest.raises(IncentiveRefused) as refused:
        settlements.offer_settlement(invoice, amount, expires, staff(invoice.practice), ISSUED)
    assert str(refused.value) == message
    db.session.rollback()
    assert settlements.offers_for(invoice) == []


def test_one_open_offer_at_a_time(app):
    invoice = open_invoice()
    first = make_offer(invoice, expires=ISSUED)
    with pytest.raises(IncentiveRefused, match="withdraw it first"):
        settlements.offer_settlement(invoice, 9000, ISSUED, staff(invoice.practice), ISSUED)
    db.session.rollback()
    # once the first has lapsed, a new one can be made; the old one is recorded as expired
    later = ISSUED + timedelta(days=1)
    second = settlements.offer_settlement(invoice, 9000, later, staff(invoice.practice), later)
    db.session.commit()
    db.session.refresh(first)
    assert (first.status, second.status) == ("expired", "open")
    assert settlements.open_offer(invoice, later) == second


def test_paid_invoice_takes_no_offer(app):
    invoice = open_invoice()
    ledger.post(invoice, "payment", 15450)
    invoice.status = "paid"
    db.session.commit()
    with pytest.raises(IncentiveRefused, match="Only an open invoice"):
        settlements.offer_settlement(invoice, 100, ISSUED, staff(invoice.practice), ISSUED)


def test_expire_lapsed_moves_only_offers_past_their_date(app):
    invoice = open_invoice()
    offer = make_offer(invoice, expires=ISSUED + timedelta(days=2))
    assert settlements.expire_lapsed(ISSUED + timedelta(days=2)) == 0
    assert settlements.expire_lapsed(ISSUED + timedelta(days=3)) == 1
    db.session.commit()
    assert offer.status == "expired"
    with pytest.raises(IncentiveRefused, match="Only an open offer"):
        settlements.withdraw(offer, staff(invoice.practice))


# --- policy and deposit rule -------------------------------------------------------------


def test_minimum_deposit_for_large_balances(app):
    practice = factories.practice()
    assert discounts.minimum_deposit(practice.id, 500000) is None  # no policy
    discount_policy(practice, deposit_threshold_minor=100000, deposit_percent=25)
    assert discounts.minimum_deposit(practice.id, 99999) is None
    assert discounts.minimum_deposit(practice.id, 100000) == 25000
    assert discounts.minimum_deposit(practice.id, 100001) == 25001  # 25000.25 rounds up
    assert discounts.minimum_deposit(practice.id, 123457) == 30865  # 30864.25 rounds up


def test_save_policy_validates_and_records(app):
    practice = factories.practice()
    discounts.save_policy(
        practice.id,
        enabled=True,
        percent=3,
        within_days=14,
        deposit_threshold_minor=200000,
        deposit_percent=20,
        actor=staff(practice),
    )
    db.session.commit()
    record = discounts.discount_policy(practice.id)
    assert (record.percent, record.within_days, record.deposit_percent) == (3, 14, 20)
    assert discounts.minimum_deposit(practice.id, 200000) == 40000
    bad = [
        dict(percent=0),
        dict(percent=51),
        dict(within_days=0),
        dict(within_days=366),
        dict(deposit_threshold_minor=None),
        dict(deposit_threshold_minor=0),
        dict(deposit_percent=100),
    ]
    for change in bad:
        values = dict(
            enabled=True,
            percent=3,
            within_days=14,
            deposit_threshold_minor=200000,
            deposit_percent=20,
        )
        values.update(change)
        with pytest.raises(IncentiveRefused):
            discounts.save_policy(practice.id, actor=staff(practice), **values)
        db.session.rollback()
    record = discounts.discount_policy(practice.id)
    assert (record.percent, record.within_days, record.deposit_threshold_minor) == (3, 14, 200000)
