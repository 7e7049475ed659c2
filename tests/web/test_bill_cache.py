"""The kept bill: one statement while nothing changed, a new page and ETag after every change
of what it shows, 304 for the browser's current copy, and never another session's page."""

import html
import re
from datetime import timedelta

from portal import clock
from portal.extensions import db
from portal.models import Invoice, PatientTaxId, Payment, SettlementOffer
from portal.models.plan import Installment, InstallmentStatus
from portal.models.settlement_offer import OfferStatus
from portal.money import format_money
from portal.patient.bill_cache import CSRF_MARK
from portal.services.billing import ledger, money
from portal.services.core.audit import SYSTEM
from tests.web.bill_scenarios import normalised
from tests.web.patient_client import open_and_verify
from tests.web.test_bill_page import counted_statements, verified_client

CSRF_META = re.compile(r'name="csrf-token" content="([^"]+)"')


def balance_shown(response) -> str:
    page = html.unescape(response.get_data(as_text=True))
    return re.search(r'id="amount-due"><span>[^<]+</span> <strong class="big">([^<]+)<', page)[1]


def balance_of(app, invoice_id: int) -> str:
    with app.app_context():
        return format_money(ledger.balance(invoice_id), "EUR", "en")


def test_a_second_look_costs_one_statement_and_the_same_page(web_app):
    client, _ = verified_client(web_app, "incentives", 3, "it")
    first = client.get("/pay")
    with counted_statements(web_app) as statements:
        again = client.get("/pay")
    assert len(statements) == 1, statements
    assert again.status_code == 200
    # the same page; the signed CSRF token carries the second it was signed in
    assert normalised(again.get_data(as_text=True)) == normalised(first.get_data(as_text=True))
    assert again.headers["ETag"] == first.headers["ETag"]
    assert again.headers["Cache-Control"] == "no-store"
    assert CSRF_MARK not in again.get_data(as_text=True)


def test_the_browsers_current_copy_gets_304_until_a_payment_changes_it(web_app):
    client, invoice_id = verified_client(web_app)
    first = client.get("/pay")
    etag = first.headers["ETag"]
    same = client.get("/pay", headers={"If-None-Match": etag})
    assert same.status_code == 304
    assert same.get_data() == b""
    assert same.headers["ETag"] == etag
    with web_app.app_context():
        money.record_desk_payment(db.session.get(Invoice, invoice_id), 1000, "cash", SYSTEM)
        db.session.commit()
    after = client.get("/pay", headers={"If-None-Match": etag})
    assert after.status_code == 200
    assert after.headers["ETag"] != etag
    assert balance_shown(after) == balance_of(web_app, invoice_id)
    assert balance_shown(after) != balance_shown(first)


def test_a_worker_that_kept_nothing_answers_the_current_copy_with_304(web_app):
    client, _ = verified_client(web_app, "incentives", 3, "it")
    etag = client.get("/pay").headers["ETag"]
    web_app.extensions.pop("saldo_bill_cache")  # another worker of the same server
    with counted_statements(web_app) as statements:
        same = client.get("/pay", headers={"If-None-Match": etag})
    assert (same.status_code, same.headers["ETag"]) == (304, etag)
    assert len(statements) == 1, statements  # the bill's version, no page built
    assert "saldo_bill_cache" not in web_app.extensions  # nothing rendered to keep
    assert client.get("/pay").status_code == 200


def test_a_payment_a_refund_and_a_write_off_each_show_at_once(web_app):
    client, invoice_id = verified_client(web_app)
    seen = [client.get("/pay")]
    assert balance_shown(seen[0]) == "€354.50"
    with web_app.app_context():
        payment = money.record_desk_payment(
            db.session.get(Invoice, invoice_id), 5000, "cash", SYSTEM
        )
        db.session.commit()
        payment_id = payment.id
    seen.append(client.get("/pay"))
    assert balance_shown(seen[-1]) == "€304.50"
    with web_app.app_context():
        money.refund(db.session.get(Payment, payment_id), 1000, "wrong amount", SYSTEM)
        db.session.commit()
    seen.append(client.get("/pay"))
    # a price correction: the refund comes with an adjustment, the balance stays
    assert "Refunded: €10.00" in html.unescape(seen[-1].get_data(as_text=True))
    with web_app.app_context():
        money.write_off(db.session.get(Invoice, invoice_id), 2750, "goodwill", SYSTEM)
        db.session.commit()
    seen.append(client.get("/pay"))
    assert balance_shown(seen[-1]) == balance_of(web_app, invoice_id) == "€277.00"
    assert len({r.headers["ETag"] for r in seen}) == 4
    assert [balance_shown(r) for r in seen] == ["€354.50", "€304.50", "€304.50", "€277.00"]


def test_a_plan_and_an_offer_that_change_without_money_still_change_the_page(web_app):
    client, invoice_id = verified_client(web_app, "plan")
    before = html.unescape(client.get("/pay").get_data(as_text=True))
    assert "<td>Not charged</td>" in before
    with web_app.app_context():
        failed = db.session.scalars(
            db.select(Installment).filter_by(status=InstallmentStatus.FAILED)
        ).one()
        failed.status = InstallmentStatus.SCHEDULED
        db.session.commit()
    after = html.unescape(client.get("/pay").get_data(as_text=True))
    assert "<td>Not charged</td>" not in after
    assert after.count("<td>Scheduled</td>") == 2

    client, invoice_id = verified_client(web_app, "incentives")
    assert 'id="settlement-offer"' in client.get("/pay").get_data(as_text=True)
    with web_app.app_context():
        offer = db.session.scalars(db.select(SettlementOffer).filter_by(invoice_id=invoice_id))
        offer.one().status = OfferStatus.WITHDRAWN
        db.session.commit()
    assert 'id="settlement-offer"' not in client.get("/pay").get_data(as_text=True)


def test_the_early_payment_discount_goes_when_its_day_has_passed(web_app, monkeypatch):
    client, _ = verified_client(web_app, "incentives")
    assert 'id="early-discount"' in client.get("/pay").get_data(as_text=True)
    later = clock.utcnow() + timedelta(days=11)
    monkeypatch.setattr(clock, "utcnow", lambda: later)
    assert 'id="early-discount"' not in client.get("/pay").get_data(as_text=True)


def test_an_edited_patient_name_shows_at_once(web_app):
    client, invoice_id = verified_client(web_app)
    assert "Rossi-Bianchi" not in client.get("/pay").get_data(as_text=True)
    with web_app.app_context():
        patient = db.session.get(Invoice, invoice_id).patient
        patient.last_name = "Rossi-Bianchi"
        db.session.commit()
    assert f"for {patient_name(web_app, invoice_id)}" in html.unescape(
        client.get("/pay").get_data(as_text=True)
    )


def test_two_sessions_and_two_languages_never_share_a_page(web_app):
    english, invoice_id = verified_client(web_app)
    other, other_id = verified_client(web_app)
    with web_app.app_context():
        for number, name in ((invoice_id, "Primo"), (other_id, "Secondo")):
            db.session.get(Invoice, number).patient.last_name = name
        db.session.commit()
    first, second = english.get("/pay"), other.get("/pay")
    assert " Primo · " in first.get_data(as_text=True)
    assert "Secondo" not in first.get_data(as_text=True)
    assert " Secondo · " in second.get_data(as_text=True)
    assert "Primo" not in second.get_data(as_text=True)
    # the same bill in a second session, in Italian: its own page and its own CSRF token
    italian = web_app.test_client()
    with web_app.app_context():
        token = _new_link(invoice_id)
    open_and_verify(italian, token)
    italian.get("/lang/it")
    english_again = english.get("/pay")
    in_italian = italian.get("/pay")
    assert "<h1>La Sua fattura</h1>" in in_italian.get_data(as_text=True)
    assert "Balance due" in english_again.get_data(as_text=True)
    assert "Balance due" not in in_italian.get_data(as_text=True)
    assert english_again.headers["ETag"] != in_italian.headers["ETag"]
    tokens = [CSRF_META.search(r.get_data(as_text=True))[1] for r in (english_again, in_italian)]
    assert tokens[0] != tokens[1]
    with english.session_transaction() as session:
        english_secret = session["csrf_token"]
    with italian.session_transaction() as session:
        assert session["csrf_token"] != english_secret
    # the English session's copy is not current for the Italian one
    stale = italian.get("/pay", headers={"If-None-Match": english_again.headers["ETag"]})
    assert stale.status_code == 200
    assert normalised(english.get("/pay").get_data(as_text=True)) == normalised(
        english_again.get_data(as_text=True)
    )


def patient_name(app, invoice_id: int) -> str:
    with app.app_context():
        name = db.session.get(Invoice, invoice_id).patient.full_name
    assert name.endswith(" Rossi-Bianchi")
    return name


def _new_link(invoice_id: int) -> str:
    from portal.services.access import links

    _, token = links.issue(db.session.get(Invoice, invoice_id), SYSTEM)
    db.session.commit()
    return token


def test_the_kept_italian_fiscal_section_carries_the_sessions_own_token(web_app):
    from tests.web.test_fiscal_pages import _italian_bill

    with web_app.app_context():
        _, invoice, token = _italian_bill()
        invoice_id = invoice.id
    client = web_app.test_client()
    open_and_verify(client, token)
    client.get("/pay")
    with counted_statements(web_app) as statements:
        page = client.get("/pay").get_data(as_text=True)
    assert len(statements) == 1
    meta = CSRF_META.search(page)[1]
    assert page.count(f'name="csrf_token" type="hidden" value="{meta}"') == 2
    saved = client.post(
        "/pay/fiscal/codice-fiscale",
        data={"csrf_token": meta, "codice_fiscale": "BNCGLI84C49H501F"},
    )
    assert saved.status_code == 302
    client.get("/pay")  # shows and clears the "saved" message
    again = client.get("/pay").get_data(as_text=True)
    assert 'name="codice_fiscale"' not in again
    assert "Grazie: il Suo codice fiscale" not in again
    with web_app.app_context():
        patient_id = db.session.get(Invoice, invoice_id).patient_id
        record = db.session.scalar(db.select(PatientTaxId).filter_by(patient_id=patient_id))
        assert record.codice_fiscale == "BNCGLI84C49H501F"
