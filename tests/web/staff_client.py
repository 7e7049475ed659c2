"""Signing staff in through the real login form."""

import re

from flask.testing import FlaskClient

from portal.extensions import db
from portal.services.practice import staff_auth

PASSWORD = "correct horse battery staple"
CSRF = re.compile(r'name="csrf-token" content="([^"]+)"')


def make_staff(practice, role="owner", email=None, locale="en"):
    """A staff user of `practice` (call inside an app context; commits)."""
    email = email or f"{role}-{practice.slug}@example.org"
    user = staff_auth.create_staff(practice, email, role.title(), PASSWORD, role, locale)
    db.session.commit()
    return user


def sign_in(client: FlaskClient, email: str, password: str = PASSWORD):
    token = CSRF.search(client.get("/staff/login").get_data(as_text=True)).group(1)
    return client.post(
        "/staff/login", data={"csrf_token": token, "email": email, "password": password}
    )


def csrf(client: FlaskClient, path: str = "/staff/") -> str:
    return CSRF.search(client.get(path).get_data(as_text=True)).group(1)
