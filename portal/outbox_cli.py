"""`flask outbox run`: perform the pending work (emails, sealing) that is due now."""

import click
from flask.cli import AppGroup

outbox_cli = AppGroup("outbox", help="Pending work after payments: emails, sealing.")


@outbox_cli.command("run")
def run():
    """Perform every piece of pending work that is due; failures are retried later."""
    from portal.services.core import outbox

    done = outbox.run_pending()
    click.echo(f"{done} done")
