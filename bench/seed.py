"""Create a fresh database at DATABASE_URL, seed the demo practices, print one patient link.

Run from the project root as `python -m bench.seed`; prints one JSON object with the link
token and the date of birth that unlocks it (the first English-speaking demo patient).
"""

import json
import os

from flask_migrate import upgrade

from portal import create_app
from portal.extensions import db
from portal.services.core import demo


def main() -> None:
    app = create_app(
        {"SALDO_ENV": "development", "SQLALCHEMY_DATABASE_URI": os.environ["DATABASE_URL"]}
    )
    with app.app_context():
        upgrade()
        links = demo.seed()
        db.session.commit()
    link = next((item for item in links if item.language == "en"), links[0])
    born = link.date_of_birth
    print(
        json.dumps(
            {
                "token": link.token,
                "day": born.day,
                "month": born.month,
                "year": born.year,
                "practice": link.practice,
                "invoice": link.invoice_number,
            }
        )
    )


if __name__ == "__main__":
    main()
