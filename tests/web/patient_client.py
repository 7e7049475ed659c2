"""A test client that walks the patient's pages the way a browser does."""

import re

from flask.testing import FlaskClient

CSRF = re.compile(r'name="csrf-token" content="([^"]+)"')


def csrf_token(client: FlaskClient, path: str = "/pay/verify") -> str:
    return CSRF.search(client.get(path).get_data(as_text=True)).group(1)


def open_and_verify(client: FlaskClient, token: str, day=9, month=3, year=1984):
    client.get(f"/p/{token}")
    return client.post(
        "/pay/verify",
        data={"csrf_token": csrf_token(client), "day": day, "month": month, "year": year},
    )


def post_json(client: FlaskClient, path: str, body: dict, page: str = "/pay"):
    token = csrf_token(client, page)
    return client.post(path, json=body, headers={"X-CSRFToken": token})
