"""The owner's Stripe account page, the CLI, and what a patient's checkout loads."""

import pytest

from portal.extensions import db
from portal.models import AuditEvent, Practice
from portal.services.access import links
from portal.services.core.audit import SYSTEM
from portal.services.payments import stripe_accounts
from tests import factories
from tests.support import servers
from tests.web.patient_client import open_and_verify
from tests.web.staff_client import csrf, make_staff, sign_in

SECRET = "sk_test_51OwnAccountSecretKey7391"
WEBHOOK = "whsec_ownAccountSigningSecret2468"


def signed_in(web_app, role="owner", locale="en"):
    with web_app.app_context():
        practice = factories.practice(slug="studio-a", name="Studio Àlfa")
        email, practice_id = make_staff(practice, role, locale=locale).email, practice.id
    client = web_app.test_client()
    sign_in(client, email)
    return client, practice_id


def save_keys(client, **values):
    data = {"csrf_token": csrf(client, "/staff/stripe"), **values}
    return client.post("/staff/stripe", data=data)


def test_owner_sets_keys_and_never_sees_a_secret_again(web_app, stripe_base):
    client, practice_id = signed_in(web_app)
    response = save_keys(
        client,
        publishable_key="pk_test_51OwnAccountPublishable",
        secret_key=SECRET,
        webhook_secret=WEBHOOK,
        api_base=f"{stripe_base}/",
    )
    assert (response.status_code, response.headers["Location"]) == (302, "/staff/stripe")
    page = client.get("/staff/stripe").get_data(as_text=True)
    assert SECRET not in page and WEBHOOK not in page
    assert "set, ending …7391" in page and "set, ending …2468" in page
    assert "pk_test_51OwnAccountPublishable" in page
    assert "http://127.0.0.1:5000/webhooks/stripe/studio-a" in page
    # a refused change shows the error, not what was typed
    refused = save_keys(client, secret_key="sk_live_51AnotherSecretKey9999", webhook_secret="x")
    body = refused.get_data(as_text=True)
    assert refused.status_code == 422
    assert "Both keys must be test keys, or both live keys, of the same account." in body
    assert "sk_live_51AnotherSecretKey9999" not in body and SECRET not in body
    with web_app.app_context():
        practice = db.session.get(Practice, practice_id)
        assert stripe_accounts.summary(practice).secret_key_ending == "7391"
        assert practice.stripe_api_base == stripe_base
        audit = db.session.scalars(
            db.select(AuditEvent).filter_by(action="practice.stripe_account_set")
        ).one()
        assert audit.data == {
            "changed": ["publishable_key", "secret_key", "webhook_secret", "api_base"]
        }


def test_replacing_only_the_webhook_secret_and_going_back_to_the_installation(web_app, stripe_base):
    client, practice_id = signed_in(web_app)
    save_keys(
        client,
        publishable_key="pk_test_51OwnAccountPublishable",
        secret_key=SECRET,
        api_base=stripe_base,
    )
    page = client.get("/staff/stripe").get_data(as_text=True)
    assert "not set: events from Stripe are refused" in page
    replaced = save_keys(client, webhook_secret="whsec_replacedSecret0042", api_base=stripe_base)
    assert replaced.status_code == 302
    page = client.get("/staff/stripe").get_data(as_text=True)
    assert "set, ending …7391" in page and "set, ending …0042" in page
    token = csrf(client, "/staff/stripe")
    assert client.post("/staff/stripe/clear", data={"csrf_token": token}).status_code == 302
    page = client.get("/staff/stripe").get_data(as_text=True)
    assert "go to the installation's Stripe account, held by Saldo Demo" in page
    with web_app.app_context():
        practice = db.session.get(Practice, practice_id)
        assert (practice.stripe_secret_key_encrypted, practice.stripe_publishable_key) == (
            None,
            None,
        )


def test_production_offers_no_api_address(web_app):
    web_app.config["STRIPE_PRACTICE_API_BASE"] = False
    client, _ = signed_in(web_app)
    page = client.get("/staff/stripe").get_data(as_text=True)
    assert 'name="secret_key"' in page and 'name="api_base"' not in page


def test_only_the_owner_reaches_the_page(web_app):
    with web_app.app_context():
        practice = factories.practice(slug="studio-a")
        emails = [make_staff(practice, role).email for role in ("billing", "viewer")]
        practice_id = practice.id
    for email in emails:
        client = web_app.test_client()
        sign_in(client, email)
        token = csrf(client)
        assert client.get("/staff/stripe").status_code == 403
        for path in ("/staff/stripe", "/staff/stripe/descriptor", "/staff/stripe/clear"):
            data = {
                "csrf_token": token,
                "secret_key": SECRET,
                "publishable_key": "pk_test_0000000000",
            }
            assert client.post(path, data=data).status_code == 403
    with web_app.app_context():
        assert db.session.get(Practice, practice_id).stripe_secret_key_encrypted is None
    anonymous = web_app.test_client().get("/staff/stripe")
    assert anonymous.status_code == 302 and "/staff/login" in anonymous.headers["Location"]


def test_descriptor_errors_in_the_owners_language(web_app):
    client, practice_id = signed_in(web_app, locale="it")
    data = {"csrf_token": csrf(client, "/staff/stripe"), "statement_descriptor_suffix": "IGIENE*"}
    response = client.post("/staff/stripe/descriptor", data=data)
    assert response.status_code == 422
    assert "Ometta i caratteri &lt; &gt; \\ &#39; &#34; e *." in response.get_data(as_text=True)
    data["statement_descriptor_suffix"] = "IGIENE"
    assert client.post("/staff/stripe/descriptor", data=data).status_code == 302
    with web_app.app_context():
        assert db.session.get(Practice, practice_id).statement_descriptor_suffix == "IGIENE"


def test_cli_sets_the_account_and_prints_only_endings(app, stripe_base):
    practice = factories.practice(slug="studio-cli")
    db.session.commit()
    args = ["practice", "stripe", "--slug", "studio-cli", "--publishable-key", "pk_test_cli0000000"]
    args += ["--secret-key", SECRET, "--webhook-secret", WEBHOOK, "--descriptor-suffix", "ROSSI"]
    args += ["--api-base", stripe_base]
    result = app.test_cli_runner().invoke(args=args)
    assert result.exit_code == 0, result.output
    assert result.output == (
        "studio-cli: own Stripe account pk_test_cli0000000, secret key ending …7391,"
        " webhook secret ending …2468; webhook endpoint"
        " http://127.0.0.1:5000/webhooks/stripe/studio-cli\n"
        "statement descriptor suffix: ROSSI\n"
    )
    assert (
        practice.stripe_secret_key_encrypted and SECRET not in practice.stripe_secret_key_encrypted
    )
    bad = app.test_cli_runner().invoke(
        args=["practice", "stripe", "--slug", "studio-cli", "--descriptor-suffix", "<b>"]
    )
    assert bad.exit_code == 1
    assert "statement_descriptor_suffix: Leave out the characters" in bad.output
    missing = app.test_cli_runner().invoke(args=["practice", "stripe", "--slug", "nobody"])
    assert missing.exit_code == 2


def checkout_page(web_app, own_base: str | None):
    with web_app.app_context():
        practice = factories.practice(name="Studio Àlfa")
        if own_base:
            stripe_accounts.set_credentials(
                practice,
                SYSTEM,
                publishable_key="pk_test_51PracticeOwn",
                secret_key=SECRET,
                api_base=own_base,
            )
        invoice = factories.invoice(factories.patient(practice, locale="en"), (5000,))
        _, token = links.issue(invoice, SYSTEM)
        db.session.commit()
    patient = web_app.test_client()
    open_and_verify(patient, token)
    return patient.get("/pay/checkout")


@pytest.mark.parametrize("own", [True, False])
def test_checkout_loads_the_account_that_receives_the_money(web_app, stripe_base, own):
    response = checkout_page(web_app, stripe_base if own else None)
    page = response.get_data(as_text=True)
    installation = "http://127.0.0.1:8420"
    key, js, creditor = ("pk_test_51PracticeOwn", stripe_base, "Studio Àlfa")
    if not own:
        key, js, creditor = ("pk_test_saldo_demo", installation, "Saldo Demo")
    assert f'data-key="{key}"' in page
    assert f'<script src="{js}/js.stripe.com/v3/"></script>' in page
    assert f"you authorise {creditor} and Stripe" in page
    script_src = f"{installation} {stripe_base}" if own else installation
    assert f"script-src 'self' {script_src};" in response.headers["Content-Security-Policy"]


def test_a_key_the_account_refuses_or_an_unreachable_account_changes_nothing(web_app, stripe_base):
    client, practice_id = signed_in(web_app)
    unreachable = f"http://127.0.0.1:{servers.free_port()}"
    for base, message in (
        (stripe_base, "Stripe did not accept this secret key."),
        (unreachable, "Stripe could not be reached to check the key. Nothing was changed."),
    ):
        response = save_keys(
            client,
            publishable_key="pk_test_51OwnAccountPublishable",
            secret_key="rk_test_51RestrictedKeyLocalstripeRefuses",
            api_base=base,
        )
        assert response.status_code == 422
        assert message in response.get_data(as_text=True)
    with web_app.app_context():
        assert db.session.get(Practice, practice_id).stripe_secret_key_encrypted is None


def test_the_owners_posts_need_the_csrf_token(web_app):
    client, practice_id = signed_in(web_app)
    for path in ("/staff/stripe", "/staff/stripe/descriptor", "/staff/stripe/clear"):
        response = client.post(
            path, data={"secret_key": SECRET, "publishable_key": "pk_test_0000000000"}
        )
        assert response.status_code == 400, path
    with web_app.app_context():
        assert db.session.get(Practice, practice_id).stripe_secret_key_encrypted is None
