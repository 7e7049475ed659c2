"""The aging from the totals kept on the patients and per due day, on SQLite and PostgreSQL
(the kept totals are the databases' own triggers): when those totals are the aging's as of a
day (nothing posted from the practice's next midnight on, nothing issued later still owed, no
void invoice with a balance left), and the buckets, patients and counts they give.

The practice is in Europe/Rome (UTC+1 in November): the end of 30 November there is
2026-11-30 23:00 UTC. Ledger entries are written with their `created_at`, as in
`test_reports.py`."""

from datetime import date

from portal.extensions import db
from portal.services.collections import aging_kept, aging_report
from tests import factories
from tests.services.collections.test_reports import _at, _entry, _invoice

D = date(2026, 11, 30)


def one_invoice(practice, **patient):
    patient = factories.patient(practice, **patient)
    invoice = _invoice(practice, patient, "K1", "2026-11-01", "2026-11-30")
    _entry(invoice, "charge", 15000, "2026-11-01 09:00")
    db.session.commit()
    return invoice


def test_they_hold_until_something_is_posted_from_the_practices_next_midnight(app):
    practice = factories.practice()
    invoice = one_invoice(practice)
    assert aging_kept.kept_totals_hold(practice, D)
    _entry(invoice, "payment", 1000, "2026-11-30 22:59")  # 23:59 in Rome: on D
    db.session.commit()
    assert aging_kept.kept_totals_hold(practice, D)
    _entry(invoice, "payment", 1000, "2026-11-30 23:00")  # midnight in Rome: 1 December
    db.session.commit()
    assert not aging_kept.kept_totals_hold(practice, D)
    assert aging_kept.kept_totals_hold(practice, date(2026, 12, 1))
    # another practice's later entries are its own affair
    other = factories.practice(**factories.USA)
    _entry(one_invoice(other, locale="en"), "payment", 500, "2026-12-20 15:00")
    db.session.commit()
    assert aging_kept.kept_totals_hold(practice, date(2026, 12, 1))


def test_an_invoice_issued_after_the_day_stops_them_only_while_it_is_owed(app):
    practice = factories.practice()
    patient = factories.patient(practice)
    later = _invoice(practice, patient, "K2", "2026-12-01", "2026-12-31")
    _entry(later, "charge", 8000, "2026-11-29 09:00")  # made ahead, dated 1 December
    db.session.commit()
    assert not aging_kept.kept_totals_hold(practice, D)
    assert aging_kept.kept_totals_hold(practice, date(2026, 12, 1))
    _entry(later, "payment", 8000, "2026-11-29 10:00")
    db.session.commit()
    assert aging_kept.kept_totals_hold(practice, D)


def test_a_void_invoice_with_a_balance_left_stops_them_until_it_nets_to_zero(app):
    practice = factories.practice()
    invoice = one_invoice(practice)
    invoice.status, invoice.voided_at = "void", _at("2026-11-20 10:00")
    db.session.commit()
    assert not aging_kept.kept_totals_hold(practice, D)
    # voided after the day: it still counts as owed on D, as the kept totals have it
    assert aging_kept.kept_totals_hold(practice, date(2026, 11, 19))
    _entry(invoice, "adjustment", 15000, "2026-11-20 10:00")  # the void adjustment
    db.session.commit()
    assert aging_kept.kept_totals_hold(practice, D)


def owing(practice, first, last, *invoices):
    """A patient of `practice` with invoices (number, due day, charge, paid), charged on
    1 August and paid on 20 November (UTC)."""
    patient = factories.patient(practice, first_name=first, last_name=last)
    for number, due, charge, paid in invoices:
        invoice = _invoice(practice, patient, number, "2026-08-01", due)
        _entry(invoice, "charge", charge, "2026-08-01 09:00")
        if paid:
            _entry(invoice, "payment", paid, "2026-11-20 10:00")
    return patient


def test_buckets_patients_and_counts_from_the_kept_totals(app):
    practice = factories.practice()
    luca = owing(
        practice, "Luca", "Russo", ("L1", "2026-08-01", 40000, 0), ("L2", "2026-08-02", 6000, 0)
    )
    giulia = owing(
        practice,
        "Giulia",
        "Bianchi",
        ("G1", "2026-11-30", 15000, 5000),
        ("G2", "2026-10-31", 20000, 0),
    )
    marco = owing(practice, "Marco", "Verdi", ("M1", "2026-10-30", 24000, 0))
    ada = owing(practice, "Ada", "Verdi", ("A1", "2026-09-15", 24000, 0))
    owing(practice, "Paola", "Ferri", ("P1", "2026-09-01", 9000, 9000))  # paid: owes nothing
    owing(practice, "Sara", "Conti", ("S1", "2026-09-01", 3000, 5000))  # paid over: nothing
    other = factories.practice(**factories.USA)
    owing(other, "Emily", "Johnson", ("E1", "2026-09-01", 99900, 0))
    db.session.commit()
    assert aging_kept.kept_totals_hold(practice, D)

    aged = aging_kept.aging_from_kept_totals(practice, D, 10)
    assert (aged.practice_id, aged.currency, aged.as_of) == (practice.id, "EUR", D)
    assert [(b.key, b.amount_minor, b.invoices) for b in aged.buckets] == [
        ("current", 10000, 1),  # due on D
        ("1-30", 20000, 1),  # 30 days past due
        ("31-60", 24000, 1),
        ("61-90", 24000, 1),
        ("91-120", 6000, 1),  # 120 days
        ("120+", 40000, 1),  # 121 days
    ]
    assert (aged.total_minor, aged.invoices, aged.patient_count) == (124000, 6, 4)
    # the largest first; the two Verdi owing the same by first name
    assert [
        (p.patient_id, p.amounts_minor, p.counts, p.total_minor, p.invoices) for p in aged.patients
    ] == [
        (luca.id, (0, 0, 0, 0, 6000, 40000), (0, 0, 0, 0, 1, 1), 46000, 2),
        (giulia.id, (10000, 20000, 0, 0, 0, 0), (1, 1, 0, 0, 0, 0), 30000, 2),
        (ada.id, (0, 0, 0, 24000, 0, 0), (0, 0, 0, 1, 0, 0), 24000, 1),
        (marco.id, (0, 0, 24000, 0, 0, 0), (0, 0, 1, 0, 0, 0), 24000, 1),
    ]
    assert [p.full_name for p in aged.patients] == [
        "Luca Russo",
        "Giulia Bianchi",
        "Ada Verdi",
        "Marco Verdi",
    ]
    assert aged == aging_report.aging(practice, D, 10)
    # a shorter list keeps the largest and still counts every patient owing
    two = aging_kept.aging_from_kept_totals(practice, D, 2)
    assert [p.patient_id for p in two.patients] == [luca.id, giulia.id]
    assert (two.buckets, two.patient_count) == (aged.buckets, 4)
    assert two == aging_report.aging(practice, D, 2)


def test_a_practice_owed_nothing(app):
    practice = factories.practice()
    owing(practice, "Paola", "Ferri", ("P1", "2026-09-01", 9000, 9000))
    db.session.commit()
    aged = aging_kept.aging_from_kept_totals(practice, D, 10)
    assert [(b.amount_minor, b.invoices) for b in aged.buckets] == [(0, 0)] * 6
    assert (aged.patients, aged.patient_count, aged.total_minor) == ((), 0, 0)
