"""What was shown is what is sealed: the stored document, embedded byte for byte in the
sealed PDF, with trusted time from a local RFC 3161 TSA."""

import hashlib
from datetime import date

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from portal.extensions import db
from portal.gateways import timestamps
from portal.gateways.pdf import embedded_files
from portal.models import DiscountPolicy, PlanPolicy
from portal.services.core.audit import Actor
from portal.services.plans import agreement_seal, agreements, plans
from tests import factories
from tests.support.pdf import pdf_text
from tests.support.tsa import local_tsa

PATIENT = Actor("patient", "link:test", "198.51.100.7")
START = date(2026, 11, 3)


def _signed(practice_values, language, method, amount, count, discount=0):
    practice = factories.practice(**practice_values)
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
    agreements.choose_method(plan, method, PATIENT)
    agreements.consent(plan, PATIENT)
    shown = agreements.show(plan)
    agreements.sign(
        plan,
        typed_name=invoice.patient.full_name,
        signature_png=None,
        shown_sha256=plan.document_sha256,
        actor=PATIENT,
        user_agent="pytest",
        time_zone="Europe/Rome",
        today=START,
        onerous_approved=True,
        onerous_name=invoice.patient.full_name,
    )
    db.session.commit()
    return plan, shown


# the documents' variety on one database; what PostgreSQL stores and gives back is checked by
# test_the_staff_check_compares_bytes on both
@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
@settings(
    max_examples=8, suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None
)
@given(
    country=st.sampled_from(["IT", "US"]),
    language=st.sampled_from(["en", "it"]),
    method=st.sampled_from(["card", "sepa_debit"]),
    amount=st.integers(20000, 900000),
    count=st.sampled_from([3, 4, 6, 12]),
    discount=st.sampled_from([0, 5]),
)
def test_the_sealed_pdf_embeds_the_document_shown_byte_for_byte(
    app, country, language, method, amount, count, discount
):
    values = factories.ITALY if country == "IT" else factories.USA
    plan, shown = _signed(values, language, method, amount, count, discount)
    before = plan.document_html
    pdf = agreements.finalize(plan)
    files = embedded_files(pdf)
    assert files["agreement.html"] == before == shown.encode("utf-8")
    assert hashlib.sha256(files["agreement.html"]).hexdigest() == plan.evidence["document_sha256"]
    assert files["consent.html"] == plan.consent_html
    assert plan.document_sha256 in pdf_text(pdf).replace("\n", "").replace(" ", "")
    method_words = {
        ("en", "card"): "to the card you save",
        ("en", "sepa_debit"): "to the bank account (SEPA Direct Debit) you save",
        ("it", "card"): "sulla carta che registra",
        ("it", "sepa_debit"): "sul conto corrente (addebito diretto SEPA) che registra",
    }
    assert method_words[(language, method)] in shown
    assert agreements.check(plan).ok


def test_changing_the_method_before_signing_renders_a_new_document(app):
    practice = factories.practice()
    db.session.add(PlanPolicy(practice_id=practice.id, allowed_counts="6"))
    invoice = factories.invoice(factories.patient(practice, locale="it"), amounts=(60000,))
    plan = plans.choose(invoice, 6, START, "it", PATIENT)
    agreements.choose_method(plan, "card", PATIENT)
    card = agreements.show(plan)
    policy = db.session.scalar(db.select(PlanPolicy).filter_by(practice_id=practice.id))
    policy.retry_days = "1,2"
    assert agreements.show(plan) == card  # stored, not re-rendered: retry days frozen
    assert "ritentato 3, 5, 7 giorni" in card
    agreements.choose_method(plan, "sepa_debit", PATIENT)
    sepa = agreements.show(plan)
    assert "sul conto corrente (addebito diretto SEPA)" in sepa and "sulla carta" not in sepa
    assert "ritentato 1, 2 giorni" in sepa and plan.retry_days == "1,2"


def test_the_staff_check_compares_bytes(app):
    plan, shown = _signed(factories.ITALY, "it", "sepa_debit", 60000, 6)
    agreements.finalize(plan)
    db.session.commit()
    db.session.expire_all()
    # read back from the database: the sealed PDF embeds the bytes shown and stored
    assert embedded_files(plan.agreement_pdf)["agreement.html"] == shown.encode("utf-8")
    assert plan.document_html == shown.encode("utf-8")
    assert agreements.check(plan).ok
    plan.document_html = plan.document_html.replace(b"SEPA", b"SEPa")
    check = agreements.check(plan)
    assert not check.document_ok and not check.ok and check.seal.ok


def test_signing_a_stale_plan_is_refused(app):
    practice = factories.practice()
    db.session.add(PlanPolicy(practice_id=practice.id, allowed_counts="6"))
    invoice = factories.invoice(factories.patient(practice, locale="en"), amounts=(60000,))
    plan = plans.choose(invoice, 6, START, "en", PATIENT)
    agreements.choose_method(plan, "card", PATIENT)
    agreements.consent(plan, PATIENT)
    with pytest.raises(agreements.SigningRefused, match="dates of this plan have passed"):
        agreements.sign(
            plan,
            typed_name=invoice.patient.full_name,
            signature_png=None,
            shown_sha256=agreements.document_sha256(plan),
            actor=PATIENT,
            user_agent="pytest",
            time_zone="Europe/Rome",
            today=date(2026, 11, 4),
            onerous_approved=True,
            onerous_name=invoice.patient.full_name,
        )
    assert plans.discard_if_stale(plan, date(2026, 11, 4), PATIENT)
    assert plan.status == "cancelled"


def test_italian_practice_needs_the_separate_approval(app):
    practice = factories.practice()
    db.session.add(PlanPolicy(practice_id=practice.id, allowed_counts="6"))
    invoice = factories.invoice(factories.patient(practice, locale="en"), amounts=(60000,))
    plan = plans.choose(invoice, 6, START, "en", PATIENT)
    agreements.choose_method(plan, "card", PATIENT)
    agreements.consent(plan, PATIENT)
    name = invoice.patient.full_name
    common = dict(
        typed_name=name,
        signature_png=None,
        shown_sha256=agreements.document_sha256(plan),
        actor=PATIENT,
        user_agent="pytest",
        time_zone="Europe/Rome",
    )
    for approved, typed in ((False, name), (True, ""), (True, "Someone Else")):
        with pytest.raises(agreements.SigningRefused, match="approve clause 3 separately"):
            agreements.sign(plan, onerous_approved=approved, onerous_name=typed, **common)
    agreements.sign(plan, onerous_approved=True, onerous_name=name, **common)
    assert plan.evidence["onerous_clauses"] == [3]
    assert plan.evidence["onerous_approved_by"] == name
    shown = agreements.show(plan)
    # English-speaking patient of an Italian practice: Italian law clauses in English, the
    # firma elettronica semplice statement, and the Italian text as part of the document
    assert "Clauses under Italian law" in shown and "firma elettronica semplice" in shown
    assert "Accordo di pagamento rateale" in shown and "Approvazione specifica" in shown
    assert "the English text governs" not in shown


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_sealed_with_a_timestamp_from_the_tsa_is_b_t(app, tmp_path):
    with local_tsa(tmp_path) as tsa:
        app.config.update(SEAL_TSA_URL=tsa.url, SEAL_TSA_CERT_PATH=str(tsa.cert_path))
        plan, _ = _signed(factories.USA, "en", "card", 154500, 6)
        pdf = agreements.finalize(plan)
        assert len(tsa.answered) == 2  # pyHanko sizes the signature with a first token
    _, cert, _ = agreement_seal.certificate_paths(plan.invoice.practice)
    check = timestamps.check(pdf, cert, tsa.cert_path)
    assert (check.level, check.seal_ok, check.timestamp_ok) == ("B-T", True, True)
    assert check.timestamped_at is not None
    assert agreements.check(plan).time.level == "B-T"
    tampered = bytearray(pdf)
    tampered[len(pdf) // 3] ^= 0x01
    broken = timestamps.check(bytes(tampered), cert, tsa.cert_path)
    assert (broken.level, broken.seal_ok) == ("none", False)
    # a timestamp from a TSA the checker does not trust proves no time
    (tmp_path / "other").mkdir()
    with local_tsa(tmp_path / "other") as other:
        untrusted = timestamps.check(pdf, cert, other.cert_path)
    assert (untrusted.level, untrusted.timestamp_ok) == ("B-B", False)


def test_without_a_tsa_the_seal_is_b_b(app):
    plan, _ = _signed(factories.ITALY, "it", "card", 60000, 6)
    agreements.finalize(plan)
    assert agreements.check(plan).time.level == "B-B"


def test_a_zero_percent_minimum_down_payment_charges_nothing_down(app):
    practice = factories.practice(**factories.USA)
    db.session.add(
        PlanPolicy(
            practice_id=practice.id, allowed_counts="3", min_down_percent=0, min_down_minor=0
        )
    )
    invoice = factories.invoice(factories.patient(practice, locale="en"), amounts=(60000,))
    [option] = plans.options(plans.policy_for(practice.id), 60000, START)
    assert option.down_minor == 0 and [s.amount_minor for s in option.steps] == [20000] * 3
    assert [s.sequence for s in option.steps] == [1, 2, 3]
    plan = plans.choose(invoice, 3, START, "en", PATIENT)
    assert plans.down_payment(plan) is None and plan.down_payment_minor == 0
    assert [i.due_on for i in plan.installments] == [
        date(2026, 12, 3),
        date(2027, 1, 3),
        date(2027, 2, 3),
    ]
    agreements.choose_method(plan, "card", PATIENT)
    agreements.consent(plan, PATIENT)
    shown = agreements.show(plan)
    assert "You pay nothing today, November 3, 2026, and $600.00 in 3 monthly installments" in shown
    assert "Down payment" not in shown
    agreements.sign(
        plan,
        typed_name=invoice.patient.full_name,
        signature_png=None,
        shown_sha256=plan.document_sha256,
        actor=PATIENT,
        user_agent="pytest",
        time_zone="America/New_York",
        today=START,
    )
    plans.activate_without_down_payment(plan, PATIENT)
    assert plan.status == "active" and plan.activated_at is not None


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_ltv_with_self_signed_certificates_stays_b_t(app, tmp_path):
    """Self-signed seal and TSA: nothing to fetch revocation information for, so no B-LT
    (tests/services/test_seal_ltv.py reaches it with a CA-issued chain)."""
    with local_tsa(tmp_path) as tsa:
        app.config.update(
            SEAL_TSA_URL=tsa.url, SEAL_TSA_CERT_PATH=str(tsa.cert_path), SEAL_LTV=True
        )
        plan, _ = _signed(factories.ITALY, "it", "sepa_debit", 60000, 6)
        agreements.finalize(plan)
    check = agreements.check(plan)
    assert check.ok and (check.time.level, check.time.timestamp_ok) == ("B-T", True)
