"""A separate process that issues health invoices: `python -m tests.support.fiscal_worker
DATABASE_URL PAYMENT_ID...`. Prints one "payment_id number" line per document."""

import sys
from datetime import date

from portal import create_app
from portal.extensions import db
from portal.models import Payment
from portal.services.core.audit import SYSTEM
from portal.services.fiscal import documents


def main(url: str, payment_ids: list[int]) -> None:
    sqlite = url.startswith("sqlite")
    options = {"connect_args": {"timeout": 60}} if sqlite else {"pool_pre_ping": True}
    config = {
        "SALDO_ENV": "test",
        "SQLALCHEMY_DATABASE_URI": url,
        "SQLALCHEMY_ENGINE_OPTIONS": options,
    }
    app = create_app(config)
    with app.app_context():
        for payment_id in payment_ids:
            payment = db.session.get(Payment, payment_id)
            document = documents.issue_invoice(payment, SYSTEM, today=date(2027, 1, 15))
            print(payment_id, document.number, flush=True)
        db.session.remove()
        db.engine.dispose()


if __name__ == "__main__":
    main(sys.argv[1], [int(arg) for arg in sys.argv[2:]])
