"""The patient's opposition to the Sistema TS: the latest choice is in force, each one is
kept with who made it, from where and the exact text shown in the patient's language."""

from datetime import datetime

from flask_babel import force_locale

from portal.extensions import db
from portal.models import AuditEvent, TsOpposition
from portal.services.core.audit import Actor
from portal.services.fiscal import opposition
from tests import factories

PATIENT = Actor("patient", "link:41", "203.0.113.7")


def test_the_notice_is_in_the_patient_s_language(app):
    with force_locale("it"):
        italian = opposition.notice_text()
    with force_locale("en"):
        english = opposition.notice_text()
    assert italian == (
        "Può opporsi alla trasmissione di questa spesa al Sistema Tessera Sanitaria (art. 3 "
        "del decreto 31 luglio 2015). Se si oppone, l’Agenzia delle Entrate non la riceverà "
        "per la Sua dichiarazione precompilata e, per ottenere la detrazione, dovrà indicarla "
        "Lei nella dichiarazione."
    )
    assert english.startswith("You may oppose the transmission of this expense")


def test_the_latest_choice_is_in_force_and_every_choice_is_kept(app):
    invoice = factories.invoice(factories.patient(factories.practice()))
    assert opposition.is_opposed(invoice) is False
    opposition.record(invoice, True, "notice shown", "it", PATIENT)
    db.session.commit()
    assert opposition.is_opposed(invoice) is True
    opposition.record(invoice, False, "notice shown", "it", PATIENT)
    db.session.commit()
    assert opposition.is_opposed(invoice) is False
    kept = db.session.scalars(db.select(TsOpposition).order_by(TsOpposition.id)).all()
    assert [(k.opposed, k.recorded_by, k.text_shown, k.locale, k.ip_address) for k in kept] == [
        (True, "patient:link:41", "notice shown", "it", "203.0.113.7"),
        (False, "patient:link:41", "notice shown", "it", "203.0.113.7"),
    ]
    actions = db.session.scalars(
        db.select(AuditEvent.action).filter_by(invoice_id=invoice.id).order_by(AuditEvent.id)
    ).all()
    assert actions[-2:] == ["fiscal.ts_opposition", "fiscal.ts_opposition_withdrawn"]


def test_the_choice_recorded_last_wins_whatever_the_insertion_order(app):
    invoice = factories.invoice(factories.patient(factories.practice()))
    for opposed, at in ((True, datetime(2026, 11, 3)), (False, datetime(2026, 11, 2))):
        db.session.add(
            TsOpposition(
                invoice_id=invoice.id,
                opposed=opposed,
                recorded_by="staff",
                text_shown="t",
                locale="it",
                recorded_at=at,
            )
        )
    db.session.commit()
    assert opposition.is_opposed(invoice) is True
