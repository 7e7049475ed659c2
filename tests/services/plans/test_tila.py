"""Truth in Lending exactly when it applies, with figures equal to the schedule's, and no
"no interest" wording beside a positive APR, in both languages."""

import html
import re
from datetime import date
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from portal.extensions import db
from portal.i18n import rendering_in
from portal.models import DiscountPolicy, PlanPolicy
from portal.money import format_money
from portal.services.core.audit import Actor
from portal.services.plans import agreements, plans, tila
from tests import factories

PATIENT = Actor("patient", "link:test", "198.51.100.7")
START = date(2026, 11, 3)
NO_COST_PHRASES = re.compile(
    r"no interest|no fees|without interest|senza interessi|nessun interesse|senza commissioni",
    re.IGNORECASE,
)
BOX_TITLES = ("Truth in Lending disclosures", "Informativa Truth in Lending")


def _plan(country, language, amount, count, discount):
    practice = factories.practice(**(factories.ITALY if country == "IT" else factories.USA))
    db.session.add(
        PlanPolicy(
            practice_id=practice.id,
            allowed_counts=str(count),
            min_down_percent=10,
            min_installment_minor=100,
            min_balance_minor=1000,
        )
    )
    if discount:
        db.session.add(DiscountPolicy(practice_id=practice.id, percent=discount, within_days=10))
    invoice = factories.invoice(
        factories.patient(practice, locale=language), amounts=(amount,), today=START
    )
    plan = plans.choose(invoice, count, START, language, PATIENT)
    agreements.choose_method(plan, "card", PATIENT)
    return plan, html.unescape(agreements.show(plan))


def test_groups_state_the_schedule_exactly():
    due = [date(2027, m, 1) for m in range(1, 13)]
    amounts = [58334] * 3 + [58333] * 9
    groups = tila.groups(list(zip(due, amounts, strict=True)))
    assert groups == [
        tila.PaymentGroup(3, 58334, date(2027, 1, 1)),
        tila.PaymentGroup(9, 58333, date(2027, 4, 1)),
    ]


@settings(
    max_examples=30, suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None
)
@given(
    country=st.sampled_from(["US", "IT"]),
    language=st.sampled_from(["en", "it"]),
    amount=st.integers(10000, 2_000_000),
    count=st.sampled_from([2, 3, 4, 5, 6, 10, 12]),
    discount=st.sampled_from([0, 0, 5, 10]),
)
def test_the_box_appears_exactly_when_it_applies_with_the_schedule_figures(
    app, country, language, amount, count, discount
):
    plan, text = _plan(country, language, amount, count, discount)
    applies = country == "US" and (plan.finance_charge_minor > 0 or count > 4)
    shown = [title for title in BOX_TITLES if title in text]
    assert bool(shown) == applies
    installments = [i for i in plan.installments if i.sequence > 0]
    box = tila.box(plan)
    total = sum(i.amount_minor for i in installments)
    assert box.total_of_payments_minor == total
    assert box.amount_financed_minor + box.finance_charge_minor == total
    assert box.total_sale_price_minor == total + plan.down_payment_minor == plan.total_minor
    assert [g.amount_minor for g in box.groups for _ in range(g.count)] == [
        i.amount_minor for i in installments
    ]
    if Decimal(plan.apr) > 0:
        assert not NO_COST_PHRASES.search(text)
    else:
        assert plan.finance_charge_minor == 0
    with rendering_in(language):
        money = lambda minor: format_money(minor, plan.currency, language)  # noqa: E731
        # the remaining amount stated in clause 1 is what the installments add up to
        assert money(total) in text
        if applies:
            for figure in (
                box.amount_financed_minor,
                box.finance_charge_minor,
                box.total_of_payments_minor,
                box.total_sale_price_minor,
                box.cash_price_minor,
            ):
                assert money(figure) in text
            assert f"{plan.apr}%" in text
            for group in box.groups:
                assert f"<td>{group.count}</td><td>{money(group.amount_minor)}</td>" in text
            see = "See your contract documents" if language == "en" else "Consulti i documenti"
            assert see in text


def test_three_installments_with_a_forgone_discount_carry_the_box(app):
    plan, text = _plan("US", "en", 60800, 3, 10)
    assert plan.finance_charge_minor > 0 and Decimal(plan.apr) > 0
    assert "Truth in Lending disclosures" in text and "Total Sale Price" in text
    assert "you will not be entitled to a refund of part of the finance charge" in text
    assert "you have the right to receive an itemization" in text.lower()


def test_italian_patient_of_a_us_practice_gets_the_box_in_italian_and_the_english_text(app):
    _, text = _plan("US", "it", 154500, 6, 0)
    assert "Informativa Truth in Lending" in text and "Truth in Lending disclosures" in text
    italian, english = text.split('<article class="agreement" lang="en">')
    assert "TASSO ANNUO EFFETTIVO (APR)" in italian and "Il Suo piano dei pagamenti" in italian
    assert "ANNUAL PERCENTAGE RATE" in english and "Your payment schedule will be" in english
    assert "Il testo in inglese, che segue, ne fa parte" in italian


def test_owner_warning_when_a_discount_makes_plan_aprs_high(app):
    practice = factories.practice(**factories.USA)
    db.session.add(PlanPolicy(practice_id=practice.id, allowed_counts="3,12"))
    db.session.commit()
    rates = dict(plans.aprs_with_discount(practice.id, 100000, 50000, START))
    assert rates[3] > tila.HIGH_APR and rates[12] > tila.HIGH_APR
    assert tila.high_apr_warning(list(rates.values())) == max(rates.values())
    assert tila.high_apr_warning([Decimal("12.50")]) is None
