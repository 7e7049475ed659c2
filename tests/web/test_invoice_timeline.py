"""The invoice page's timeline reads its labels from the audit-action registry, in the staff
member's language; an action the registry does not know shows by its name."""

import pytest

from portal.extensions import db
from portal.services.core import audit
from portal.services.core.audit import SYSTEM
from tests import factories
from tests.web.staff_client import make_staff, sign_in


@pytest.mark.parametrize(
    ("locale", "checking", "issued"),
    [("en", "Payment being checked", "Issued"), ("it", "Pagamento in verifica", "Emessa")],
)
def test_the_timeline_shows_each_action_by_its_label(web_app, locale, checking, issued):
    with web_app.app_context():
        practice = factories.practice()
        invoice = factories.invoice(factories.patient(practice))
        for action in ("invoice.issued", "payment.checking", "custom.unlisted"):
            audit.record(action, practice_id=practice.id, invoice_id=invoice.id, actor=SYSTEM)
        db.session.commit()
        email, invoice_id = make_staff(practice, "billing", locale=locale).email, invoice.id
    client = web_app.test_client()
    sign_in(client, email)
    page = client.get(f"/staff/invoices/{invoice_id}").get_data(as_text=True)
    timeline = page.split('<ol class="timeline">', 1)[1].split("</ol>", 1)[0]
    assert f"· {issued} ·" in timeline
    assert f"· {checking} ·" in timeline
    assert "· custom.unlisted ·" in timeline
