"""Asking for a password reset does the same work for a known and an unknown address."""

import pytest

from portal.services.messaging import render
from portal.services.practice import staff_auth
from tests import factories
from tests.web.staff_client import csrf, make_staff


@pytest.fixture
def work(monkeypatch):
    """The steps a reset request takes, in order, with the mailer's sends."""
    steps: list[str] = []

    def spy(module, name):
        original = getattr(module, name)

        def wrapped(*args, **kwargs):
            steps.append(name)
            return original(*args, **kwargs)

        monkeypatch.setattr(module, name, wrapped)

    spy(staff_auth, "reset_token")
    spy(render, "render_email")
    spy(render, "build_message")
    return steps


def ask(client, email):
    response = client.post(
        "/staff/reset", data={"csrf_token": csrf(client, "/staff/reset"), "email": email}
    )
    return response.status_code, response.headers["Location"]


def test_known_and_unknown_addresses_take_the_same_steps(web_app, work):
    sent = []
    with web_app.app_context():
        email = make_staff(factories.practice()).email
    web_app.extensions["saldo.mailer"].send_later = sent.append
    client = web_app.test_client()
    known = ask(client, email)
    known_steps = list(work)
    work.clear()
    unknown = ask(client, "nobody@example.org")
    assert known == unknown == (302, "/staff/login")
    assert work == known_steps == ["reset_token", "render_email", "build_message"]
    assert [str(m["To"]) for m in sent] == [email]
