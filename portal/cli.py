"""`flask --app portal …` command groups: practice, demo, translate."""

import subprocess
import sys
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from portal import gateways
from portal import jobs_cli as jobs_cli_commands
from portal.extensions import db
from portal.fiscal_cli import fiscal_cli
from portal.models import Practice
from portal.models.audit import ActorKind
from portal.models.staff import ROLES
from portal.outbox_cli import outbox_cli
from portal.report_cli import report_cli
from portal.secrets_cli import reencrypt, secrets_cli
from portal.settings import ROOT
from portal.stripe_cli import practice_stripe, register_domain

practice_cli = AppGroup("practice", help="Manage practices.")
translate_cli = AppGroup("translate", help="Extract, update and compile translations.")
staff_cli = AppGroup("staff", help="Manage staff accounts.")
jobs_cli = AppGroup("jobs", help="Background work: charges, reminders, retries.")
jobs_cli_commands.register(jobs_cli)
apikey_cli = AppGroup("apikey", help="Manage API keys.")
stripe_cli = AppGroup("stripe", help="Stripe helpers.")
invoice_cli = AppGroup("invoice", help="Import invoices.")


@practice_cli.command("create")
@click.option("--slug", required=True)
@click.option("--name", required=True)
@click.option("--country", required=True, help="ISO 3166 code, e.g. IT")
@click.option("--currency", required=True, help="ISO 4217 code, e.g. EUR")
@click.option("--language", "locale", default="en", type=click.Choice(["en", "it"]))
@click.option("--timezone", default="UTC")
@click.option("--email")
@click.option("--phone")
def create_practice(slug, name, country, currency, locale, timezone, email, phone):
    """Create a practice."""
    practice = Practice(
        slug=slug,
        name=name,
        country=country.upper(),
        currency=currency.upper(),
        default_locale=locale,
        timezone=timezone,
        email=email,
        phone=phone,
    )
    db.session.add(practice)
    db.session.commit()
    click.echo(f"practice {practice.id} {practice.slug}")


def _practice(slug: str) -> Practice:
    practice = db.session.scalar(db.select(Practice).filter_by(slug=slug))
    if practice is None:
        raise click.BadParameter(f"no practice with slug {slug!r}")
    return practice


@staff_cli.command("create")
@click.option("--practice", "slug", required=True, help="practice slug")
@click.option("--email", required=True)
@click.option("--name", required=True)
@click.option("--role", type=click.Choice(ROLES), default=ROLES[0])
@click.option("--language", "locale", type=click.Choice(["en", "it"]), default="en")
@click.password_option()
def create_staff(slug, email, name, role, locale, password):
    """Create a staff user of a practice."""
    from portal.services.practice import staff_auth

    try:
        user = staff_auth.create_staff(_practice(slug), email, name, password, role, locale)
    except staff_auth.InvalidStaff as exc:
        raise click.ClickException(str(exc)) from exc
    db.session.commit()
    click.echo(f"staff user {user.id} {user.email} ({user.role})")


@apikey_cli.command("create")
@click.option("--practice", "slug", required=True, help="practice slug")
@click.option("--name", required=True)
def create_apikey(slug, name):
    """Create an API key; it is printed once and stored only as a hash."""
    from portal.services.practice import api_keys

    record, key = api_keys.create(_practice(slug), name)
    db.session.commit()
    click.echo(f"api key {record.id} ({record.name}): {key}")


@click.command("demo")
def demo():
    """Seed the demo practices and print patient links with their dates of birth."""
    from portal.services.core import demo as demo_service

    base = current_app.config["PORTAL_BASE_URL"].rstrip("/")
    first_run = db.session.scalar(db.select(Practice).filter_by(slug="studio-rossi")) is None
    links = demo_service.seed()
    if first_run:
        demo_service.seed_overdue()
    logins = demo_service.staff_logins()
    db.session.commit()
    for link in links:
        click.echo(
            f"{link.practice} · {link.patient} ({link.language}) · invoice {link.invoice_number}\n"
            f"    {base}/p/{link.token}\n"
            f"    date of birth: {link.date_of_birth.day} {link.date_of_birth:%B %Y}"
        )
    click.echo(
        "\nTest payments: card 4242 4242 4242 4242 (any future date, any CVC);"
        " 3-D Secure card 4000 0027 6000 3184;\ndeclined at charge 4000 0000 0000 0341;"
        " SEPA IBAN DE89 3704 0044 0532 0130 00 (fails: DE62 3704 0044 0532 0130 01)."
    )
    click.echo(f"\nStaff sign-in: {base}/staff/login")
    for login in logins:
        click.echo(f"    {login.practice}: {login.email} / {login.password}")
    if current_app.config["OUTBOX_ENABLED"]:
        click.echo(f"\nSent emails and texts: {base}/dev/outbox")


@stripe_cli.command("register-local-webhook")
@click.option("--url", help="where localstripe should deliver events")
@click.option("--practice", "slug", help="a practice with its own (localstripe) account")
def register_local_webhook(url, slug):
    """Point a localstripe server (STRIPE_API_BASE, or the practice's) at this portal's webhook."""
    practice = _practice(slug) if slug else None
    path = f"/webhooks/stripe/{slug}" if slug else "/webhooks/stripe"
    target = url or current_app.config["PORTAL_BASE_URL"].rstrip("/") + path
    gateways.stripe(practice).register_local_webhook(target)
    click.echo(f"localstripe delivers events to {target}")


@invoice_cli.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--practice", "slug", required=True, help="practice slug")
@click.option(
    "--map",
    "pairs",
    multiple=True,
    metavar="FIELD=HEADER",
    help="which CSV column fills a Saldo field, e.g. --map number='Invoice No'; repeatable."
    " Columns with names Saldo recognises are mapped without it.",
)
@click.option("--date-format", type=click.Choice(["iso", "dmy", "mdy"]), default="iso")
@click.option("--dry-run", is_flag=True, help="check the file, import nothing")
@click.option("--draft", is_flag=True, help="keep the invoices as drafts instead of issuing them")
def import_invoices(path, slug, pairs, date_format, dry_run, draft):
    """Import invoices from a CSV file (one row per invoice line), all or nothing."""
    from portal.services.billing import imports
    from portal.services.core.audit import Actor

    practice = _practice(slug)
    try:
        csv_file = imports.read_csv(path.read_bytes())
    except imports.CsvError as exc:
        raise click.ClickException(str(exc)) from exc
    mapping: dict[str, str | None] = dict(imports.guess_mapping(csv_file.headers))
    for pair in pairs:
        key, sep, header = pair.partition("=")
        if not sep or key.strip() not in imports.FIELDS_BY_KEY:
            fields = ", ".join(imports.FIELDS_BY_KEY)
            raise click.BadParameter(f"{pair!r}: use FIELD=HEADER, FIELD one of {fields}")
        mapping[key.strip()] = header.strip() or None
    options = dict(date_format=date_format)
    if dry_run:
        result = imports.validate(practice, csv_file, mapping, **options)
    else:
        actor = Actor(ActorKind.SYSTEM, "cli:invoice import")
        result = imports.commit(practice, csv_file, mapping, actor=actor, draft=draft, **options)
    for error in result.errors:
        click.echo(str(error), err=True)
    if result.errors:
        columns = ", ".join(csv_file.headers)
        raise click.ClickException(
            f"{len(result.errors)} errors, nothing imported (columns in the file: {columns})"
        )
    db.session.commit()
    verb = "would import" if dry_run else "imported"
    state = "drafts" if draft else "issued"
    click.echo(
        f"{verb} {len(result.invoices)} invoices ({state}) with {result.lines} lines from "
        f"{result.rows} rows; patients: {result.new_patients} new, "
        f"{result.matched_patients} existing"
    )


def _pybabel(*args: str) -> None:
    subprocess.run([sys.executable, "-m", "babel.messages.frontend", *args], check=True, cwd=ROOT)


@translate_cli.command("extract")
def extract():
    """Extract messages into translations/messages.pot."""
    _pybabel(
        "extract",
        "-F",
        "config/babel.cfg",
        "-k",
        "_l",
        "-k",
        "pgettext_l:1c,2",
        "--no-location",
        "--sort-output",
        "-o",
        "translations/messages.pot",
        ".",
    )


@translate_cli.command("update")
def update():
    """Extract, then merge new messages into every catalog."""
    extract.callback()
    _pybabel(
        "update", "-i", "translations/messages.pot", "-d", "translations", "--no-fuzzy-matching"
    )


@translate_cli.command("compile")
def compile_():
    """Compile catalogs to .mo files."""
    _pybabel("compile", "-d", "translations")


practice_cli.add_command(practice_stripe)
practice_cli.add_command(reencrypt)
stripe_cli.add_command(register_domain)


def register(app: Flask) -> None:
    app.cli.add_command(practice_cli)
    app.cli.add_command(secrets_cli)
    app.cli.add_command(translate_cli)
    app.cli.add_command(stripe_cli)
    app.cli.add_command(demo)
    app.cli.add_command(staff_cli)
    app.cli.add_command(jobs_cli)
    app.cli.add_command(report_cli)
    app.cli.add_command(apikey_cli)
    app.cli.add_command(invoice_cli)
    app.cli.add_command(outbox_cli)
    app.cli.add_command(fiscal_cli)
