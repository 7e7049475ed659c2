"""The Italian agreement reads as Italian: "nata/o l'8 marzo", a plan "in ritardo"."""

from datetime import date

from portal.extensions import db
from portal.models import PlanPolicy
from portal.services.core.audit import Actor
from portal.services.plans import agreements, plans
from tests import factories

PATIENT = Actor("patient", "link:test", "198.51.100.7")


def test_the_italian_text_elides_articles_and_says_in_ritardo(app):
    practice = factories.practice()
    db.session.add(PlanPolicy(practice_id=practice.id, allowed_counts="6"))
    patient = factories.patient(practice, date_of_birth=date(1985, 3, 8))
    invoice = factories.invoice(patient, amounts=(60000,), today=date(2026, 11, 1))
    plan = plans.choose(invoice, 6, date(2026, 11, 11), "it", PATIENT)
    agreements.choose_method(plan, "card", PATIENT)
    shown = agreements.show(plan)
    assert plan.agreement_version == "2026-12-v2"
    assert "nato/a l’8 marzo 1985" in shown
    assert "emessa il 1° novembre 2026" in shown
    assert "Il paziente versa oggi, 11 novembre 2026," in shown
    assert "il piano è in ritardo: lo studio contatterà il paziente" in shown
    assert "scadut" not in shown
