"""Installment plans end to end against localstripe, stepping `run_due` month by month."""

from datetime import date, timedelta
from decimal import Decimal

import pytest

from portal.extensions import db
from portal.gateways import seal
from portal.models import DiscountPolicy, Installment, LedgerEntry, OutboxMessage
from portal.services.billing import ledger
from portal.services.core import jobs, outbox
from portal.services.payments import payments, saved_methods
from portal.services.plans import agreement_seal, agreements, plans
from portal.services.plans.plans import PlanRefused
from tests import factories
from tests.support import plans as plan_support
from tests.support import stripe_js
from tests.support.pdf import pdf_text

pytestmark = pytest.mark.stripe
PATIENT, START, policy = plan_support.PATIENT, plan_support.START, plan_support.policy


def signed_plan(
    app, card="4242424242424242", count=6, amounts=(120000, 34500), start=START, **patient
):
    invoice, _ = factories.invoice_with_link(amounts=amounts, **patient)
    plan = plan_support.signed_card_plan(invoice, count, start)
    seti, secret = saved_methods.prepare_setup(invoice, "card")
    stripe_js.confirm_card_setup(app.config["STRIPE_API_BASE"], secret, card)
    saved = saved_methods.saved_method(invoice, seti)
    plan.method, plan.stripe_payment_method_id = saved.method, saved.payment_method_id
    db.session.commit()
    return invoice, plan, saved


def pay_down_payment(invoice, plan, saved):
    """The down payment, then the worker's run that seals and sends what follows it."""
    outcome = payments.charge(
        invoice,
        saved,
        PATIENT,
        amount_minor=plan.down_payment_minor,
        installment_id=plan.installments[0].id,
    )
    outbox.run_pending()
    return outcome


def statuses(plan):
    db.session.expire_all()
    return [i.status for i in plan.installments]


def test_options_follow_the_policy(app):
    practice = factories.practice()
    rules = policy(
        practice,
        allowed_counts="3,6,10,12",
        min_down_percent=10,
        min_installment_minor=5000,
        min_balance_minor=20000,
    )
    offered = plans.options(rules, 154500, START)
    assert [o.count for o in offered] == [3, 6, 10, 12]
    six = offered[1]
    assert six.down_minor == 15450 and six.installment_minor == 23175
    assert six.total_with_down_minor == 154500
    assert str(six.disclosure.apr) == "0.00" and six.disclosure.finance_charge_minor == 0
    assert [o.count for o in plans.options(rules, 60000, START)] == [3, 6, 10]
    assert plans.options(rules, 19999, START) == []
    rules.enabled = False
    assert plans.options(plans.policy_for(practice.id), 154500, START) == []


def test_a_plan_outside_the_policy_is_never_created(app):
    invoice, _ = factories.invoice_with_link(amounts=(154500,))
    policy(invoice.practice, allowed_counts="3,6")
    for count in (0, 5, 12, -1):
        with pytest.raises(PlanRefused):
            plans.choose(invoice, count, START, "it", PATIENT)
    assert db.session.scalars(db.select(Installment)).all() == []


def test_signing_needs_consent_the_right_document_and_the_name(app):
    invoice, _ = factories.invoice_with_link(amounts=(154500,))
    policy(invoice.practice)
    plan = plans.choose(invoice, 6, START, "it", PATIENT)
    kwargs = dict(signature_png=None, actor=PATIENT, user_agent="ua", time_zone="Europe/Rome")
    with pytest.raises(agreements.SigningRefused):
        agreements.document_sha256(plan)  # nothing is shown before the method is chosen
    agreements.choose_method(plan, "sepa_debit", PATIENT)
    good = agreements.document_sha256(plan)
    kwargs.update(onerous_approved=True, onerous_name="Giulia Bianchi")
    with pytest.raises(agreements.SigningRefused):
        agreements.sign(plan, typed_name="Giulia Bianchi", shown_sha256=good, **kwargs)
    agreements.consent(plan, PATIENT)
    with pytest.raises(agreements.SigningRefused):
        agreements.sign(plan, typed_name="Giulia Bianchi", shown_sha256="0" * 64, **kwargs)
    with pytest.raises(agreements.SigningRefused):
        agreements.sign(plan, typed_name="Someone Else", shown_sha256=good, **kwargs)
    agreements.sign(plan, typed_name="giulia BIANCHI", shown_sha256=good, **kwargs)
    assert plan.evidence["document_sha256"] == good
    assert plan.evidence["signer_ip"] == "198.51.100.7"
    assert plan.evidence["signature"] == "typed"


def test_good_card_completes_the_plan_month_by_month(stripe_app):
    invoice, plan, saved = signed_plan(stripe_app, locale="it")
    assert pay_down_payment(invoice, plan, saved).status == "succeeded"
    db.session.expire_all()
    assert plan.status == "active"
    assert ledger.balance(invoice.id) == 154500 - 15450
    assert plan.agreement_pdf.startswith(b"%PDF")
    day = START
    for month in range(1, 7):
        due = plan.installments[month].due_on
        jobs.run_due(due - timedelta(days=1))
        assert statuses(plan)[month] == "scheduled"
        report = jobs.run_due(due)
        assert (report.charged, report.paid) == (1, 1)
        assert jobs.run_due(due).charged == 0
        day = due
    assert statuses(plan) == ["paid"] * 7
    assert plan.status == "completed" and invoice.status == "paid"
    assert ledger.balance(invoice.id) == 0
    entries = db.session.scalars(
        db.select(LedgerEntry.amount_minor).filter_by(invoice_id=invoice.id, kind="payment")
    ).all()
    assert sum(entries) == -154500 and len(entries) == 7
    assert day == date(2026, 7, 31)


def test_declining_card_retries_then_goes_past_due(stripe_app):
    invoice, plan, saved = signed_plan(stripe_app, card="4000000000000341", locale="en")
    # the down payment is taken on the page; here a good card pays it, then the card changes
    with pytest.raises(payments.PaymentRefused):
        pay_down_payment(invoice, plan, saved)
    assert plan.status == "pending_signature"
    good_seti, secret = saved_methods.prepare_setup(invoice, "card")
    stripe_js.confirm_card_setup(stripe_app.config["STRIPE_API_BASE"], secret, "4242424242424242")
    pay_down_payment(invoice, plan, saved_methods.saved_method(invoice, good_seti))
    db.session.expire_all()
    assert plan.status == "active"
    first = plan.installments[1]
    due = first.due_on
    for offset in (0, 3, 5, 7):
        report = jobs.run_due(due + timedelta(days=offset))
        assert (report.charged, report.failed) == (1, 1), offset
        assert jobs.run_due(due + timedelta(days=offset)).charged == 0
    db.session.expire_all()
    assert first.attempts == 4 and first.status == "failed" and first.next_attempt_on is None
    assert plan.status == "past_due"
    assert ledger.balance(invoice.id) == 154500 - 15450
    subjects = [m.subject for m in db.session.scalars(db.select(OutboxMessage))]
    assert subjects.count("Your installment could not be charged") == 3
    assert "Your payment plan is past due" in subjects
    # the practice is Italian: its alert is in Italian, the patient's messages in English
    assert any(s and s.startswith("Piano rateale in ritardo: Giulia Bianchi") for s in subjects)


def test_three_d_secure_card_asks_the_patient(stripe_app):
    invoice, plan, saved = signed_plan(stripe_app, card="4000002760003184", locale="en")
    outcome = pay_down_payment(invoice, plan, saved)
    assert outcome.status == "requires_action"
    stripe_js.confirm_card_payment(stripe_app.config["STRIPE_API_BASE"], outcome.client_secret)
    payments.refresh(outcome.payment, PATIENT)
    db.session.expire_all()
    assert plan.status == "active"
    report = jobs.run_due(plan.installments[1].due_on)
    assert report.failed == 1
    db.session.expire_all()
    first = plan.installments[1]
    assert (first.status, first.failure_code, first.next_attempt_on) == (
        "failed",
        "authentication_required",
        None,
    )
    [message] = [
        m
        for m in db.session.scalars(db.select(OutboxMessage))
        if m.subject == "Your bank asks you to confirm a payment"
    ]
    assert "/p/" in message.raw
    assert ledger.balance(invoice.id) == 154500 - 15450


def test_reminder_three_days_before_each_charge(stripe_app):
    invoice, plan, saved = signed_plan(stripe_app, locale="en")
    pay_down_payment(invoice, plan, saved)
    due = plan.installments[1].due_on
    assert jobs.run_due(due - timedelta(days=4)).reminded == 0
    assert jobs.run_due(due - timedelta(days=3)).reminded == 1
    assert jobs.run_due(due - timedelta(days=2)).reminded == 0
    subjects = [m.subject for m in db.session.scalars(db.select(OutboxMessage))]
    assert any(s.startswith("Your next installment on") for s in subjects)


def test_sealed_agreement_validates_and_holds_the_terms(stripe_app):
    invoice, plan, saved = signed_plan(stripe_app, locale="it")
    pay_down_payment(invoice, plan, saved)
    db.session.expire_all()
    check = agreements.check(plan)
    assert check.ok and check.seal.signer == invoice.practice.name
    text = pdf_text(plan.agreement_pdf)
    assert "Accordo di pagamento rateale" in text
    assert plan.evidence["document_sha256"] in text.replace("\n", "")
    assert "231,75" in text and "art. 1186" in text
    middle = len(plan.agreement_pdf) // 3
    tampered = bytearray(plan.agreement_pdf)
    tampered[middle] ^= 0x01
    _, cert, _ = agreement_seal.certificate_paths(invoice.practice)
    assert not seal.verify_seal(bytes(tampered), cert).ok


def test_a_forgone_early_payment_discount_is_a_finance_charge(app):
    practice = factories.practice(name="Maple Family Dental", **factories.USA)
    db.session.add(DiscountPolicy(practice_id=practice.id, percent=5, within_days=10))
    policy(practice, allowed_counts="6", min_down_percent=10, min_installment_minor=1000)
    invoice = factories.invoice(
        factories.patient(practice, locale="en"), amounts=(154500,), today=START
    )
    plan = plans.choose(invoice, 6, START, "en", PATIENT)
    agreements.choose_method(plan, "card", PATIENT)
    assert plan.finance_charge_minor == 7725
    assert plan.amount_financed_minor == 154500 - 15450 - 7725
    assert Decimal(plan.apr) > 0
    html = agreements.document_html(plan)
    assert "FINANCE CHARGE" in html and "$77.25" in html and f"{plan.apr}%" in html
    later = START + timedelta(days=11)
    assert plans.forgone_discount(invoice, later) == 0
