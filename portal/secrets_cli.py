"""`flask secrets`: the key that encrypts stored secrets (`SALDO_ENCRYPTION_KEY`)."""

import click
from flask.cli import AppGroup, with_appcontext

from portal.extensions import db
from portal.gateways import encryption
from portal.services.practice import stored_secrets

secrets_cli = AppGroup("secrets", help="Encryption of the secrets stored in the database.")


@secrets_cli.command("new-key")
def new_key():
    """Print a fresh key: put it first in SALDO_ENCRYPTION_KEY, then run reencrypt."""
    click.echo(encryption.new_key())


@click.command("reencrypt")
@with_appcontext
def reencrypt():
    """Re-encrypt every stored secret with the first SALDO_ENCRYPTION_KEY (after adding one)."""
    try:
        count = stored_secrets.reencrypt_all()
    except encryption.SecretsUnavailable as exc:
        db.session.rollback()
        raise click.ClickException(f"{exc}; nothing was changed") from exc
    db.session.commit()
    click.echo(f"{count} secrets re-encrypted")


secrets_cli.add_command(reencrypt)
