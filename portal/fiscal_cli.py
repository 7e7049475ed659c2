"""`flask fiscal …`: the Sistema TS export and issuing fiscal documents."""

from pathlib import Path

import click
from flask.cli import AppGroup

from portal.extensions import db
from portal.models import Practice
from portal.services.core.audit import SYSTEM
from portal.services.fiscal import documents, sts
from portal.services.fiscal.profile import FiscalRefused

fiscal_cli = AppGroup("fiscal", help="Fiscal documents: Sistema TS export, issuing.")


def _practice(slug: str) -> Practice:
    practice = db.session.scalar(db.select(Practice).filter_by(slug=slug))
    if practice is None:
        raise click.BadParameter(f"no practice with slug {slug!r}", param_hint="--practice")
    return practice


@fiscal_cli.command("export-sts")
@click.option("--practice", "slug", required=True, help="practice slug")
@click.option("--month", required=True, help="YYYY-MM, e.g. 2027-01")
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="file to write (default: sistema-ts-SLUG-MONTH.xml in the current folder; - for stdout)",
)
def export_sts(slug, month, out):
    """Write the Sistema TS file of health-expense data for one month."""
    practice = _practice(slug)
    try:
        xml = sts.build(practice, month)
    except (FiscalRefused, sts.InvalidExport) as exc:
        raise click.ClickException(str(exc)) from exc
    if out is not None and str(out) == "-":
        click.echo(xml.decode("utf-8"), nl=False)
        return
    target = out or Path(sts.filename(practice, month))
    target.write_bytes(xml)
    count = xml.count(b"<documentoSpesa>")
    click.echo(f"{target}: {count} documents for {practice.slug} in {month}")


@fiscal_cli.command("issue-due")
def issue_due():
    """Issue every health invoice and credit note that is due."""
    click.echo(f"{documents.issue_due(SYSTEM)} documents issued")
