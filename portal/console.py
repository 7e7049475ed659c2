"""The `saldo` command: `flask --app portal` for an installed package (`saldo db upgrade`,
`saldo run`, `saldo jobs run-due`, ...)."""

from flask.cli import FlaskGroup


def _create_app():
    from portal import create_app

    return create_app()


def main() -> None:
    FlaskGroup(create_app=_create_app, help="Saldo, the patient payment portal.")()
