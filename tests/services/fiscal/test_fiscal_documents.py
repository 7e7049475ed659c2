"""Issuing health invoices and credit notes: when paid (a step of `jobs run-due`), on staff
action, only with the patient's codice fiscale, only where Saldo issues them; the monthly
Sistema TS reminder; and the text of the PDFs."""

from datetime import date, datetime

import pytest

from portal.extensions import db
from portal.i18n import rendering_in
from portal.models import AuditEvent, FiscalDocument, StsReminder
from portal.services.billing import invoices, receipts
from portal.services.billing.invoices import LineInput
from portal.services.core import jobs
from portal.services.core.audit import SYSTEM, Actor
from portal.services.fiscal import documents, opposition, profile, reminders, render, tax_ids
from portal.services.fiscal.profile import FiscalRefused
from tests import factories
from tests import fiscal_factories as ff
from tests.support.pdf import pdf_text
from tests.web.staff_client import make_staff


def words(pdf: bytes) -> str:
    return " ".join(pdf_text(pdf).split())


class Recorder:
    configured = True

    def __init__(self):
        self.messages = []

    def send(self, message):
        self.messages.append(message)


def test_the_job_issues_each_payment_once_and_waits_for_the_codice_fiscale(app):
    practice = ff.italian_practice(since=datetime(2026, 6, 1))
    giulia = ff.patient_with_cf(practice)
    luca = ff.patient_with_cf(practice, codice=None, first_name="Luca")
    before = ff.paid(
        factories.invoice(giulia, (5000,), number="B-0"), 5000, at=datetime(2026, 5, 31, 9)
    )
    first = ff.paid(factories.invoice(giulia, (5000,), number="B-1"), 5000)
    waiting = ff.paid(factories.invoice(luca, (7000,), number="B-2"), 7000)
    assert jobs.run_due(date(2027, 1, 15)).fiscal_documents == 1
    assert jobs.run_due(date(2027, 1, 15)).fiscal_documents == 0
    assert documents.of_payment(before) is None
    assert documents.of_payment(waiting) is None
    assert documents.of_payment(first).label == "1/2027"
    tax_ids.set_codice_fiscale(luca, ff.OTHER_PATIENT_CF, "staff", SYSTEM)
    refund = ff.refunded(first, 2000)
    db.session.commit()
    assert jobs.run_due(date(2027, 1, 15)).fiscal_documents == 2
    assert documents.of_payment(waiting).number == 2
    note = documents.of_refund(refund)
    assert (note.kind, note.number, note.amount_minor, note.corrects_id) == (
        "credit_note",
        1,
        2000,
        documents.of_payment(first).id,
    )
    assert jobs.run_due(date(2027, 1, 15)).fiscal_documents == 0
    assert db.session.scalar(db.select(db.func.count(FiscalDocument.id))) == 3


def test_no_document_without_codice_fiscale_or_where_the_practice_issues_its_own(app):
    practice = ff.italian_practice()
    patient = ff.patient_with_cf(practice, codice=None)
    payment = ff.paid(factories.invoice(patient, (5000,)), 5000)
    with pytest.raises(FiscalRefused) as refused:
        documents.issue_invoice(payment, SYSTEM)
    with rendering_in("it"):
        assert str(refused.value) == (
            "Inserisca prima il codice fiscale del paziente: la fattura sanitaria deve riportarlo."
        )
    own = factories.practice()
    other = ff.patient_with_cf(own)
    elsewhere = ff.paid(factories.invoice(other, (5000,)), 5000)
    with pytest.raises(FiscalRefused) as refused:
        documents.issue_invoice(elsewhere, SYSTEM)
    assert str(refused.value) == "This practice issues its fiscal documents with its own software."
    assert jobs.run_due(date(2027, 1, 15)).fiscal_documents == 0


def test_saldo_may_issue_only_with_the_practice_fiscal_data(app):
    practice = factories.practice()
    with pytest.raises(FiscalRefused):
        profile.save(practice, profile.ProfileInput(issuer="saldo", partita_iva=ff.PARTITA_IVA))
    with pytest.raises(FiscalRefused):
        profile.save(
            practice,
            profile.ProfileInput(
                issuer="saldo",
                partita_iva="07654320585",
                codice_fiscale=ff.PRACTICE_CF,
                fiscal_address="Via Roma 1",
            ),
        )


def test_italian_health_invoice_reads_as_italian(app):
    practice = ff.italian_practice(stamp_charged=True)
    patient = ff.patient_with_cf(practice)
    invoice = factories.invoice(patient, amounts=(12000, 3450))
    payment = ff.paid(invoice, 15450, "card_terminal", at=datetime(2027, 1, 10, 9))
    document = documents.issue_invoice(payment, SYSTEM, today=date(2027, 1, 10))
    text = words(render.document_pdf(document))
    for phrase in (
        "Dott. Mario Rossi Paziente Giulia Bianchi",
        "Partita IVA 07654320584",
        "Codice fiscale RSSMRA70A01H501S",
        "Regime fiscale: RF01 ordinario",
        "Iscrizione all’albo: Ordine dei Medici Chirurghi e degli Odontoiatri di Roma n. 12345",
        "Codice fiscale BNCGLI84C49H501F",
        "Fattura n. 1/2027",
        "Data di emissione: 10 gen 2027",
        "Data della prestazione Descrizione Importo",
        "D1001 · Treatment 1",
        "Prestazioni sanitarie esenti IVA 152,50 €",
        "Rivalsa imposta di bollo 2,00 €",
        "Totale 154,50 €",
        "Operazione esente IVA ai sensi dell’art. 10, comma 1, n. 18, DPR 633/1972.",
        "Imposta di bollo di 2,00 € assolta in modo virtuale, addebitata al paziente.",
        "Autorizzazione: n. 2020/123456 del 10/01/2020, Agenzia delle Entrate di Roma.",
        "Pagato il 10 gen 2027 con POS, mezzo di pagamento tracciabile.",
        "I dati di questa spesa sono trasmessi al Sistema Tessera Sanitaria per la "
        "dichiarazione precompilata, salvo opposizione del paziente.",
    ):
        assert phrase in text, phrase
    assert "Health" not in text and "Copia di cortesia" not in text
    opposition.record(invoice, True, "notice", "it", Actor("patient", "link:1"))
    db.session.commit()
    text = words(render.document_pdf(document))
    assert (
        "Il paziente si è opposto alla trasmissione di questa spesa al Sistema Tessera Sanitaria."
        in text
    )
    english = words(render.document_pdf(document, "en"))
    assert "Courtesy copy in English. The fiscal document is the Italian original." in english
    assert "VAT-exempt transaction under art. 10, paragraph 1, no. 18 of DPR 633/1972." in english


def test_credit_note_and_a_stamp_borne_by_the_practice(app):
    practice = ff.italian_practice(stamp_charged=False)
    patient = ff.patient_with_cf(practice)
    payment = ff.paid(
        factories.invoice(patient, amounts=(7748,)), 7748, "cash", at=datetime(2027, 2, 3, 10)
    )
    document = documents.issue_invoice(payment, SYSTEM, today=date(2027, 2, 3))
    assert (document.amount_minor, document.stamp_duty_minor, document.total_minor) == (
        7748,
        200,
        7748,
    )
    text = words(render.document_pdf(document))
    assert "Imposta di bollo di 2,00 € assolta in modo virtuale, a carico dello studio." in text
    assert "Pagato il 3 feb 2027 in contanti, mezzo di pagamento non tracciabile." in text
    note = documents.issue_credit_note(ff.refunded(payment, 7748), SYSTEM, today=date(2027, 2, 4))
    text = words(render.document_pdf(note))
    assert "Nota di credito n. NC 1/2027" in text
    assert "A rettifica della fattura n. 1/2027 del 3 feb 2027: rimborso del" in text
    assert "Prestazioni sanitarie rimborsate, esenti IVA 77,48 €" in text


def test_receipts_say_they_are_no_fiscal_document_when_the_practice_issues_its_own(app):
    patient = factories.patient(factories.practice())
    payment = ff.paid(factories.invoice(patient, (5000,)), 5000)
    italian = words(receipts.render_pdf(payment, "it"))
    assert (
        "Questa è una conferma di pagamento, non un documento fiscale. "
        "Lo studio emette la fattura a parte." in italian
    )
    english = words(receipts.render_pdf(payment, "en"))
    assert (
        "This is a payment confirmation, not a fiscal document. "
        "The practice issues the invoice separately." in english
    )
    practice = ff.italian_practice()
    issued = ff.paid(factories.invoice(ff.patient_with_cf(practice), (5000,)), 5000)
    assert "payment confirmation" not in words(receipts.render_pdf(issued, "en"))


def test_us_statement_carries_every_identifier(app):
    practice = ff.us_practice()
    patient = factories.patient(
        practice, first_name="Emma", last_name="Stone", locale="en", date_of_birth=date(1990, 5, 17)
    )
    lines = [
        LineInput(date(2026, 10, 25), "Treatment 1", 20000, 12000, 3000, "D1001"),
        LineInput(date(2026, 10, 27), "Treatment 2", 8000, 0, 0, "D1002"),
    ]
    invoice = invoices.create_invoice(
        patient,
        number="US-77",
        issued_on=date(2026, 11, 1),
        due_on=date(2026, 12, 1),
        lines=lines,
        actor=SYSTEM,
    )
    db.session.commit()
    ff.paid(invoice, 5000, "card_terminal", at=datetime(2026, 11, 3, 15))
    text = words(render.statement_pdf(invoice))
    for phrase in (
        "Bright Smiles Dental PLLC",
        "350 Fifth Avenue, Suite 200",
        "New York, NY 10118",
        "Tax ID (EIN): 12-3456789",
        "NPI: 1234567893",
        "Emma Stone",
        "Date of birth: May 17, 1990",
        "Itemized statement",
        "Invoice US-77 · dates of service Oct 25, 2026 to Oct 27, 2026",
        "10/25/26 D1001 Treatment 1 $200.00 $120.00 $30.00 $50.00",
        "10/27/26 D1002 Treatment 2 $80.00 $0.00 $0.00 $80.00",
        "Total $280.00 $120.00 $30.00 $130.00",
        "11/3/26 Card terminal $50.00 $0.00",
        "Patient paid in total $50.00",
        "Balance due $80.00",
    ):
        assert phrase in text, phrase


def test_monthly_reminder_to_the_owner_once(app):
    recorder = Recorder()
    app.extensions["saldo.mailer"] = recorder
    practice = ff.italian_practice()
    owner = make_staff(practice, "owner", locale="it")
    make_staff(practice, "billing")
    payment = ff.paid(factories.invoice(ff.patient_with_cf(practice), (5000,)), 5000)
    documents.issue_invoice(payment, SYSTEM, today=date(2027, 1, 20))
    assert reminders.send_due(date(2027, 1, 31)) == 0
    assert reminders.send_due(date(2027, 2, 1)) == 1
    assert reminders.send_due(date(2027, 2, 2)) == 0
    # the desk payment mailed the patient a receipt; the reminder goes to the owner only
    staff_mail = [m for m in recorder.messages if m["To"] != "giulia@example.org"]
    assert [m["To"] for m in staff_mail] == [owner.email]
    [message] = staff_mail
    assert message["To"] == owner.email
    assert message["Subject"] == "Sistema TS: i dati di 2027-01 sono pronti per l’invio"
    assert "/staff/fiscal?month=2027-01" in message.get_body(("plain",)).get_content()
    assert db.session.get(StsReminder, (practice.id, "2027-01")) is not None
    events = db.session.scalars(db.select(AuditEvent.action).filter_by(practice_id=practice.id))
    assert "fiscal.sts_reminder" in list(events)
