"""The actions an invoice's timeline shows: every one labelled in English and Italian."""

import pytest
from flask_babel import force_locale

from portal import create_app
from portal.services.core.audit_actions import LABELS, label


@pytest.fixture(scope="module")
def app():
    app = create_app({"SALDO_ENV": "test"})
    with app.app_context():
        yield app


def test_every_action_has_its_own_english_label(app):
    with force_locale("en"):
        english = {action: label(action) for action in LABELS}
    assert all(text and text != action for action, text in english.items())
    assert english["invoice.paid"] == "Paid in full"
    assert english["payment.canceled"] == "Payment cancelled"  # British spelling on screen


def test_every_action_has_an_italian_label(app):
    with force_locale("en"):
        english = {action: label(action) for action in LABELS}
    with force_locale("it"):
        italian = {action: label(action) for action in LABELS}
    untranslated = [action for action in LABELS if italian[action] == english[action]]
    assert untranslated == []
    assert italian["invoice.paid"] == "Pagata per intero"
    assert italian["plan.signed"] == "Piano firmato"


def test_action_names_are_namespaced(app):
    for action in LABELS:
        domain, _, rest = action.partition(".")
        assert domain and rest and action == action.lower() and " " not in action


def test_an_action_without_a_label_is_shown_by_its_name(app):
    with force_locale("it"):
        assert label("patient.codice_fiscale_set") == "patient.codice_fiscale_set"
        assert label("") == ""
