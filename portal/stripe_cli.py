"""`flask practice stripe`: a practice's own Stripe account."""

import click
from flask import current_app
from flask.cli import with_appcontext

from portal.extensions import db
from portal.gateways import encryption
from portal.models.audit import ActorKind
from portal.services.core.audit import Actor
from portal.services.payments import stripe_accounts

CLI = Actor(ActorKind.SYSTEM, "cli:practice stripe")


@click.command("stripe")
@click.option("--slug", required=True, help="practice slug")
@click.option("--publishable-key", default="", help="pk_test_… or pk_live_…")
@click.option("--secret-key", default="", help="sk_… or a restricted rk_… key")
@click.option("--webhook-secret", default="", help="whsec_… of the practice's endpoint")
@click.option("--api-base", default=None, help="localstripe address (development, tests)")
@click.option("--descriptor-prefix", default=None, help="the account's shortened descriptor")
@click.option("--descriptor-suffix", default=None, help="added to each card payment")
@click.option("--clear", is_flag=True, help="back to the installation's Stripe account")
@with_appcontext
def practice_stripe(slug, publishable_key, secret_key, webhook_secret, api_base, **more):
    """Set or replace a practice's own Stripe credentials (secrets stored encrypted)."""
    from portal.cli import _practice

    practice = _practice(slug)
    try:
        if more["clear"]:
            stripe_accounts.clear_credentials(practice, CLI)
        elif publishable_key or secret_key or webhook_secret or api_base is not None:
            stripe_accounts.set_credentials(
                practice,
                CLI,
                publishable_key=publishable_key,
                secret_key=secret_key,
                webhook_secret=webhook_secret,
                api_base=api_base,
            )
        if more["descriptor_prefix"] is not None or more["descriptor_suffix"] is not None:
            stripe_accounts.set_descriptor(
                practice,
                more["descriptor_prefix"] or practice.statement_descriptor_prefix or "",
                more["descriptor_suffix"] or practice.statement_descriptor_suffix or "",
                CLI,
            )
    except stripe_accounts.AccountRefused as exc:
        raise click.ClickException(f"{exc.field}: {exc}") from exc
    except encryption.SecretsUnavailable as exc:
        raise click.ClickException(str(exc)) from exc
    db.session.commit()
    account = stripe_accounts.summary(practice)
    if account.own:
        webhook = (
            f"ending …{account.webhook_secret_ending}"
            if account.webhook_secret_ending
            else "not set"
        )
        base = current_app.config["PORTAL_BASE_URL"].rstrip("/")
        click.echo(
            f"{practice.slug}: own Stripe account {account.publishable_key},"
            f" secret key ending …{account.secret_key_ending}, webhook secret {webhook};"
            f" webhook endpoint {base}/webhooks/stripe/{practice.slug}"
        )
    else:
        click.echo(f"{practice.slug}: the installation's Stripe account")
    click.echo(f"statement descriptor suffix: {stripe_accounts.descriptor_suffix(practice) or '-'}")


@click.command("register-domain")
@click.option("--domain", default=None, help="default: the host of PORTAL_BASE_URL")
@click.option("--practice", "slug", default=None, help="a practice with its own Stripe account")
@with_appcontext
def register_domain(domain, slug):
    """Register the portal's domain with Stripe for Apple Pay, Google Pay and Link in the
    checkout (Payment Method Domains); run again to have Stripe check it once more."""
    from urllib.parse import urlsplit

    from portal import gateways
    from portal.cli import _practice
    from portal.gateways.stripe_gateway import GatewayError

    practice = _practice(slug) if slug else None
    name = domain or urlsplit(current_app.config["PORTAL_BASE_URL"]).hostname
    if not name or name in ("127.0.0.1", "localhost"):
        raise click.ClickException("give --domain, or set PORTAL_BASE_URL to the public address")
    try:
        result = gateways.stripe(practice).register_payment_method_domain(name)
    except GatewayError as exc:
        raise click.ClickException(f"Stripe refused {name}: {exc}") from exc
    state = "enabled" if result["enabled"] else "disabled"
    apple = result["apple_pay"]
    click.echo(f"{result['domain_name']} ({result['id']}): {state}, Apple Pay {apple}")
    if result["apple_pay_error"]:
        click.echo(f"Apple Pay: {result['apple_pay_error']}")
