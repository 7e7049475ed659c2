"""Collection reports on a hand-computed ledger, on SQLite and PostgreSQL.

The practice is in Europe/Rome (CET = UTC+1 in November, CEST = UTC+2 until 25 October 2026),
D = 2026-11-30, the period is the 90 days 2026-09-02 .. 2026-11-30. "As of D" = entries created
before 2026-11-30 23:00 UTC (local midnight); the period starts at 2026-09-01 22:00 UTC.
Ages are D - due_on. Amounts in euro cents. Ledger entries are written directly with their
`created_at`, which the services cannot back-date.

invoice patient  issued      due         age  entries (UTC)                              at D
I1      Giulia   2026-10-31  2026-11-30    0  charge 150.00 (10-31), payment 50.00 (11-20)  100.00 current
I2      Giulia   2026-10-01  2026-10-31   30  charge 200.00 (10-01), payment 80.00 (12-02,  200.00 1-30
                                               after D: not counted)
I3      Marco    2026-09-30  2026-10-30   31  charge 300.00 (09-30), payment 100.00 (11-05), 240.00 31-60
                                               refund 40.00 reopening the balance (11-10)
I4      Anna     2026-08-01  2026-09-15   76  charge 400.00 (08-01), payment 50.00 (09-10),  200.00 61-90
                                               write-off 150.00 (11-12)
I5      Anna     2026-07-03  2026-08-02  120  charge 120.00 (07-03)                         120.00 91-120
I6      Luca     2026-06-01  2026-08-01  121  charge 500.00 (06-01), payment 100.00          400.00 120+
                                               (11-30 22:30 UTC = 23:30 in Rome: on D)
I7      Luca     2026-11-20  2026-12-20  -20  charge 60.00 (11-20), payment 60.00            60.00 current
                                               (11-30 23:30 UTC = 1 December in Rome: after D)
I8      Marco    2026-10-15  2026-11-14       charge 90.00 (10-15), void adjustment (11-01)   0 (void)
I9      Giulia   2026-09-05  2026-10-05       charge 70.00 (09-05), payment 70.00            0 (paid)
                                               (10-19 22:30 UTC = 20 October in Rome),
                                               refund 10.00 + adjustment 10.00 (10-25)
I10     Marco    2026-12-01  2026-12-31       charge 1000.00 (12-01): issued after D         -

Buckets at D: current 160.00 (I1, I7), 1-30 200.00, 31-60 240.00, 61-90 200.00,
91-120 120.00, 120+ 400.00; total 1320.00 in 7 invoices.
Per patient (largest first): Luca 460.00 (current 60, 120+ 400), Anna 320.00 (61-90 200,
91-120 120), Giulia 300.00 (current 100, 1-30 200), Marco 240.00 (31-60).

Receivables at the start (as of 2026-09-01): I4 400.00 + I5 120.00 + I6 500.00 = 1020.00.
Charges of the period: I1 150 + I2 200 + I3 300 + I7 60 + I9 70 = 780.00 (I8 is void at D,
I4-I6 were charged before the period, I10 after D).
Payments: I1 50 + I3 100 + I4 50 + I6 100 + I9 70 = 370.00; refunds I3 40 + I9 10 = 50.00.
DSO = 1320 / 780 x 90 = 152.307.. -> 152.3 days.
Collection rate = (370 - 50) / 780 = 41.025..% -> 41.0.
CEI = (1020 + 780 - 1320) / (1020 + 780 - 160) = 480 / 1640 = 29.268..% -> 29.3.
  (check: 480 = payments net of refunds 320 + write-off 150 + price-correction adjustment 10)

Reminders (position, channel, sent_on, status) and the step before each payment of the period:
  I1 (1 email 11-15 sent)                                      -> payment 11-20: step 1 email
  I3 (1 email 10-31 sent), (2 sms 11-05 sent), (3 call 11-05 skipped)
                                                               -> payment 11-05: step 2 sms
  I4 none                                                      -> payment 09-10: no reminder
  I6 (1 email 08-05 sent), (3 letter 11-30 letter), (4 call 12-01 task)
                                                               -> payment 11-30: step 3 letter
  I9 (1 email 10-06 sent), (2 sms 10-20 sent), (3 letter 10-21 letter)
                                                               -> payment 10-20 (Rome): step 2 sms
  I2 (2 sms 11-28 sent): its payment is after D.
By step: no reminder 1 / 50.00; 1 email 1 / 50.00; 2 sms 2 / 170.00; 3 letter 1 / 100.00.

Aging as of 2026-10-20 (cutoff 2026-10-19 22:00 UTC): current I2 200 + I3 300 + I8 90
(not yet void) = 590.00 in 3; 31-60 I4 350.00; 61-90 I5 120 + I6 500 = 620.00 in 2;
I9 is paid (its payment at 22:30 UTC on the 19th is the 20th in Rome).
"""

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from portal.extensions import db
from portal.models import Invoice, LedgerEntry, Patient, ReminderLog
from portal.services.billing.ledger import SIGNS
from portal.services.collections import aging_report, period_report, reports
from tests import factories

D = date(2026, 11, 30)
EMPTY = (0, 0, 0, 0, 0, 0)


@dataclass
class Book:
    practice: object
    other: object
    patients: dict
    invoices: dict


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text)


def _invoice(practice, patient, number, issued, due, status="open", voided_at=None):
    invoice = Invoice(
        practice_id=practice.id,
        patient_id=patient.id,
        number=number,
        currency=practice.currency,
        issued_on=date.fromisoformat(issued),
        due_on=date.fromisoformat(due),
        status=status,
        created_at=_at(f"{issued} 08:00"),
        voided_at=voided_at,
    )
    db.session.add(invoice)
    db.session.flush()
    return invoice


def _entry(invoice, kind, amount_minor, at):
    db.session.add(
        LedgerEntry(
            practice_id=invoice.practice_id,
            invoice_id=invoice.id,
            kind=kind,
            amount_minor=SIGNS[kind] * amount_minor,
            currency=invoice.currency,
            created_at=_at(at),
        )
    )


def _reminder(invoice, position, channel, sent_on, status="sent"):
    db.session.add(
        ReminderLog(
            practice_id=invoice.practice_id,
            invoice_id=invoice.id,
            position=position,
            channel=channel,
            sent_on=date.fromisoformat(sent_on),
            status=status,
        )
    )


def build_book() -> Book:
    """The ledger described in the module docstring, plus another practice's invoice."""
    practice = factories.practice(slug="studio-rossi", name="Studio Rossi")
    people = {}
    for first, last in (
        ("Giulia", "Bianchi"),
        ("Marco", "Verdi"),
        ("Anna", "Neri"),
        ("Luca", "Russo"),
    ):
        people[first] = factories.patient(
            practice, first_name=first, last_name=last, email=f"{first.lower()}@example.org"
        )
    g, m, a, lu = (people[k] for k in ("Giulia", "Marco", "Anna", "Luca"))
    inv = {}
    inv[1] = i = _invoice(practice, g, "I1", "2026-10-31", "2026-11-30")
    _entry(i, "charge", 15000, "2026-10-31 09:00")
    _entry(i, "payment", 5000, "2026-11-20 10:00")
    _reminder(i, 1, "email", "2026-11-15")
    inv[2] = i = _invoice(practice, g, "I2", "2026-10-01", "2026-10-31")
    _entry(i, "charge", 20000, "2026-10-01 08:00")
    _entry(i, "payment", 8000, "2026-12-02 09:00")
    _reminder(i, 2, "sms", "2026-11-28")
    inv[3] = i = _invoice(practice, m, "I3", "2026-09-30", "2026-10-30")
    _entry(i, "charge", 30000, "2026-09-30 09:00")
    _entry(i, "payment", 10000, "2026-11-05 09:00")
    _entry(i, "refund", 4000, "2026-11-10 09:00")
    _reminder(i, 1, "email", "2026-10-31")
    _reminder(i, 2, "sms", "2026-11-05")
    _reminder(i, 3, "call", "2026-11-05", status="skipped")
    inv[4] = i = _invoice(practice, a, "I4", "2026-08-01", "2026-09-15")
    _entry(i, "charge", 40000, "2026-08-01 09:00")
    _entry(i, "payment", 5000, "2026-09-10 09:00")
    _entry(i, "write_off", 15000, "2026-11-12 09:00")
    inv[5] = i = _invoice(practice, a, "I5", "2026-07-03", "2026-08-02")
    _entry(i, "charge", 12000, "2026-07-03 09:00")
    inv[6] = i = _invoice(practice, lu, "I6", "2026-06-01", "2026-08-01")
    _entry(i, "charge", 50000, "2026-06-01 09:00")
    _entry(i, "payment", 10000, "2026-11-30 22:30")
    _reminder(i, 1, "email", "2026-08-05")
    _reminder(i, 3, "letter", "2026-11-30", status="letter")
    _reminder(i, 4, "call", "2026-12-01", status="task")
    inv[7] = i = _invoice(practice, lu, "I7", "2026-11-20", "2026-12-20")
    _entry(i, "charge", 6000, "2026-11-20 09:00")
    _entry(i, "payment", 6000, "2026-11-30 23:30")
    inv[8] = i = _invoice(
        practice, m, "I8", "2026-10-15", "2026-11-14", "void", _at("2026-11-01 10:00")
    )
    _entry(i, "charge", 9000, "2026-10-15 09:00")
    _entry(i, "adjustment", 9000, "2026-11-01 10:00")
    inv[9] = i = _invoice(practice, g, "I9", "2026-09-05", "2026-10-05", "paid")
    _entry(i, "charge", 7000, "2026-09-05 09:00")
    _entry(i, "payment", 7000, "2026-10-19 22:30")
    _entry(i, "refund", 1000, "2026-10-25 09:00")
    _entry(i, "adjustment", 1000, "2026-10-25 09:00")
    _reminder(i, 1, "email", "2026-10-06")
    _reminder(i, 2, "sms", "2026-10-20")
    _reminder(i, 3, "letter", "2026-10-21", status="letter")
    inv[10] = i = _invoice(practice, m, "I10", "2026-12-01", "2026-12-31")
    _entry(i, "charge", 100000, "2026-12-01 09:00")

    other = factories.practice(slug="maple", name="Maple Dental", **factories.USA)
    stranger = factories.patient(other, first_name="Emily", last_name="Johnson", locale="en")
    i = _invoice(other, stranger, "M1", "2026-06-01", "2026-07-01")
    _entry(i, "charge", 99900, "2026-06-01 15:00")
    _entry(i, "payment", 100, "2026-11-02 15:00")
    _reminder(i, 1, "email", "2026-11-01")
    db.session.commit()
    return Book(practice, other, people, inv)


def test_aging_buckets_totals_counts_and_patients_as_of_d(app):
    book = build_book()
    aged = aging_report.aging(book.practice, D)
    assert [(b.key, b.amount_minor, b.invoices) for b in aged.buckets] == [
        ("current", 16000, 2),
        ("1-30", 20000, 1),
        ("31-60", 24000, 1),
        ("61-90", 20000, 1),
        ("91-120", 12000, 1),
        ("120+", 40000, 1),
    ]
    assert (aged.total_minor, aged.invoices, aged.current_minor) == (132000, 7, 16000)
    assert aged.currency == "EUR" and aged.patient_count == 4
    p = book.patients
    assert [
        (r.patient_id, r.full_name, r.amounts_minor, r.counts, r.total_minor, r.invoices)
        for r in aged.patients
    ] == [
        (p["Luca"].id, "Luca Russo", (6000, 0, 0, 0, 0, 40000), (1, 0, 0, 0, 0, 1), 46000, 2),
        (p["Anna"].id, "Anna Neri", (0, 0, 0, 20000, 12000, 0), (0, 0, 0, 1, 1, 0), 32000, 2),
        (
            p["Giulia"].id,
            "Giulia Bianchi",
            (10000, 20000, 0, 0, 0, 0),
            (1, 1, 0, 0, 0, 0),
            30000,
            2,
        ),
        (p["Marco"].id, "Marco Verdi", (0, 0, 24000, 0, 0, 0), (0, 0, 1, 0, 0, 0), 24000, 1),
    ]
    assert aging_report.aging_buckets(book.practice, D).buckets == aged.buckets


def test_patient_limit_keeps_the_largest_and_counts_them_all(app):
    book = build_book()
    aged = aging_report.aging(book.practice, D, patient_limit=2)
    assert [r.full_name for r in aged.patients] == ["Luca Russo", "Anna Neri"]
    assert aged.patient_count == 4 and aged.total_minor == 132000


def test_aging_on_earlier_days_sees_only_what_had_happened(app):
    book = build_book()
    start = aging_report.aging_buckets(book.practice, date(2026, 9, 1))
    assert [(b.amount_minor, b.invoices) for b in start.buckets] == [
        (40000, 1),  # I4 due 09-15
        (12000, 1),  # I5 due 08-02: 30 days
        (50000, 1),  # I6 due 08-01: 31 days
        (0, 0),
        (0, 0),
        (0, 0),
    ]
    october = aging_report.aging_buckets(book.practice, date(2026, 10, 20))
    assert [(b.amount_minor, b.invoices) for b in october.buckets] == [
        (59000, 3),  # I2, I3 and I8, which is voided only on 1 November
        (0, 0),
        (35000, 1),  # I4 after its payment on 09-10
        (62000, 2),  # I5 and I6
        (0, 0),
        (0, 0),
    ]
    # the day before, I9's payment (20 October in Rome) had not happened: 14 days past due
    day_before = aging_report.aging_buckets(book.practice, date(2026, 10, 19))
    assert (day_before.buckets[1].amount_minor, day_before.buckets[1].invoices) == (7000, 1)


def test_period_figures_dso_collection_rate_and_cei(app):
    book = build_book()
    figures = period_report.period_figures(book.practice, D)
    assert figures.period == reports.Period(date(2026, 9, 2), D) and figures.period.days == 90
    assert (
        figures.receivables_begin_minor,
        figures.charges_minor,
        figures.payments_minor,
        figures.refunds_minor,
        figures.receivables_end_minor,
        figures.current_end_minor,
    ) == (102000, 78000, 37000, 5000, 132000, 16000)
    assert figures.dso_days == Decimal("152.3")
    assert figures.collection_rate == Decimal("41.0")
    assert figures.cei == Decimal("29.3")


def test_a_shorter_period(app):
    """30 days, 2026-11-01 .. 2026-11-30: receivables at the start (as of 10-31) are
    I1 150 + I2 200 + I3 300 + I4 350 + I5 120 + I6 500 + I8 90 = 1710.00; no charges but
    I7 60.00; payments I1 50 + I3 100 + I6 100 = 250.00, refund I3 40.00."""
    book = build_book()
    figures = period_report.period_figures(book.practice, D, days=30)
    assert (
        figures.receivables_begin_minor,
        figures.charges_minor,
        figures.payments_minor,
        figures.refunds_minor,
    ) == (171000, 6000, 25000, 4000)
    assert figures.dso_days == Decimal("660.0")  # 1320 / 60 x 30
    assert figures.collection_rate == Decimal("350.0")  # 210 / 60
    # (1710 + 60 - 1320) / (1710 + 60 - 160) = 450 / 1610
    assert figures.cei == Decimal("28.0")


def test_ratios_are_none_without_charges(app):
    book = build_book()
    figures = period_report.period_figures(book.practice, date(2026, 12, 31), days=7)
    assert figures.charges_minor == 0  # 2026-12-25 .. 2026-12-31
    assert figures.dso_days is None and figures.collection_rate is None


def test_payments_by_the_reminder_step_before_them(app):
    book = build_book()
    steps = period_report.payments_by_step(book.practice, D)
    assert [(s.position, s.channel, s.payments, s.amount_minor) for s in steps] == [
        (None, None, 1, 5000),
        (1, "email", 1, 5000),
        (2, "sms", 2, 17000),
        (3, "letter", 1, 10000),
    ]


def test_report_bundles_everything_and_other_practices_are_apart(app):
    book = build_book()
    whole = period_report.report(book.practice, D)
    assert whole.aging.total_minor == 132000 and whole.figures.cei == Decimal("29.3")
    assert sum(s.amount_minor for s in whole.steps) == whole.figures.payments_minor
    other = period_report.report(book.other, D)
    assert [(b.key, b.amount_minor) for b in other.aging.buckets if b.amount_minor] == [
        ("120+", 99800)
    ]
    assert [p.full_name for p in other.aging.patients] == ["Emily Johnson"]
    assert [(s.position, s.channel, s.amount_minor) for s in other.steps] == [(1, "email", 100)]
    assert db.session.get(Patient, book.patients["Luca"].id).practice_id == book.practice.id


def test_csv_rows_are_plain_decimals_with_the_currency(app):
    book = build_book()
    rows = [
        ",".join(row) for row in aging_report.aging_csv_rows(aging_report.aging(book.practice, D))
    ]
    p = book.patients
    assert rows == [
        "as_of,scope,patient_id,patient,currency,current,1-30,31-60,61-90,91-120,120+,total,"
        "invoices_current,invoices_1-30,invoices_31-60,invoices_61-90,invoices_91-120,"
        "invoices_120+,invoices_total",
        "2026-11-30,practice,,,EUR,160.00,200.00,240.00,200.00,120.00,400.00,1320.00,2,1,1,1,1,1,7",
        f"2026-11-30,patient,{p['Luca'].id},Luca Russo,EUR,60.00,0.00,0.00,0.00,0.00,400.00,"
        "460.00,1,0,0,0,0,1,2",
        f"2026-11-30,patient,{p['Anna'].id},Anna Neri,EUR,0.00,0.00,0.00,200.00,120.00,0.00,"
        "320.00,0,0,0,1,1,0,2",
        f"2026-11-30,patient,{p['Giulia'].id},Giulia Bianchi,EUR,100.00,200.00,0.00,0.00,0.00,"
        "0.00,300.00,1,1,0,0,0,0,2",
        f"2026-11-30,patient,{p['Marco'].id},Marco Verdi,EUR,0.00,0.00,240.00,0.00,0.00,0.00,"
        "240.00,0,0,1,0,0,0,1",
    ]


def test_csv_cells_never_start_a_formula(app):
    practice = factories.practice()
    patient = factories.patient(practice, first_name="=HYPERLINK(1)", last_name="X")
    invoice = _invoice(practice, patient, "F1", "2026-11-01", "2026-12-01")
    _entry(invoice, "charge", 100, "2026-11-01 09:00")
    db.session.commit()
    rows = list(aging_report.aging_csv_rows(aging_report.aging(practice, D)))
    assert rows[2][3] == "'=HYPERLINK(1) X"


def test_day_boundaries_follow_the_practice_time_zone():
    assert reports.day_starts("Europe/Rome", date(2026, 12, 1)) == datetime(2026, 11, 30, 23)
    assert reports.day_starts("Europe/Rome", date(2026, 10, 20)) == datetime(2026, 10, 19, 22)
    assert reports.day_starts("America/New_York", date(2026, 12, 1)) == datetime(2026, 12, 1, 5)
    assert reports.day_starts("UTC", date(2026, 12, 1)) == datetime(2026, 12, 1)


def test_empty_practice(app):
    practice = factories.practice()
    db.session.commit()
    whole = period_report.report(practice, D)
    assert whole.aging.total_minor == 0 and whole.aging.patients == ()
    assert whole.figures.dso_days is None and whole.figures.cei is None
    assert whole.steps == ()


def test_cli_prints_buckets_and_dso_per_practice(app):
    book = build_book()
    runner = app.test_cli_runner()
    result = runner.invoke(args=["report", "aging", "--as-of", "2026-11-30"])
    assert result.exit_code == 0, result.output
    assert result.output == (
        "maple · Maple Dental · aging as of 2026-11-30 (USD, America/New_York)\n"
        "days past due           amount  invoices\n"
        "current                   0.00         0\n"
        "1-30                      0.00         0\n"
        "31-60                     0.00         0\n"
        "61-90                     0.00         0\n"
        "91-120                    0.00         0\n"
        "120+                    998.00         1\n"
        "total                   998.00         1\n"
        "DSO n/a (no charges) over 90 days 2026-09-02..2026-11-30: receivables 998.00"
        " / charges 0.00 x 90\n"
        "\n"
        "studio-rossi · Studio Rossi · aging as of 2026-11-30 (EUR, Europe/Rome)\n"
        "days past due           amount  invoices\n"
        "current                 160.00         2\n"
        "1-30                    200.00         1\n"
        "31-60                   240.00         1\n"
        "61-90                   200.00         1\n"
        "91-120                  120.00         1\n"
        "120+                    400.00         1\n"
        "total                  1320.00         7\n"
        "DSO 152.3 days over 90 days 2026-09-02..2026-11-30: receivables 1320.00"
        " / charges 780.00 x 90\n"
    )
    only = runner.invoke(
        args=["report", "aging", "--as-of", "2026-11-30", "--practice", "studio-rossi"]
    )
    assert only.exit_code == 0 and only.output.startswith("studio-rossi ·")
    assert "maple" not in only.output
    assert book.practice.slug == "studio-rossi"
    bad = runner.invoke(args=["report", "aging", "--practice", "nope"])
    assert bad.exit_code != 0 and "no practice" in bad.output
