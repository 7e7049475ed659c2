"""`flask report …`: collection reports from the command line."""

from datetime import datetime

import click
from flask.cli import AppGroup

from portal.clock import practice_today
from portal.money import format_plain
from portal.services.collections import aging_report, period_report, reports

report_cli = AppGroup("report", help="Collection reports: aging, DSO.")


@report_cli.command("aging")
@click.option(
    "--as-of",
    "as_of",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    help="the day D (default: today in each practice's time zone)",
)
@click.option("--practice", "slug", help="only this practice (slug)")
@click.option(
    "--days",
    type=click.IntRange(1, reports.MAX_DAYS),
    default=reports.DEFAULT_DAYS,
    show_default=True,
    help="DSO period: this many days ending on D",
)
def aging(as_of: datetime | None, slug: str | None, days: int):
    """Aging buckets of open balances as of the end of D, and DSO, for each practice."""
    practices = reports.practices_for(slug)
    if slug and not practices:
        raise click.BadParameter(f"no practice with slug {slug!r}", param_hint="--practice")
    for number, practice in enumerate(practices):
        day = as_of.date() if as_of else practice_today(practice)
        aged = aging_report.aging_buckets(practice, day)
        figures = period_report.period_figures(practice, day, days, ending=aged)
        if number:
            click.echo()
        click.echo(_table(practice, aged, figures))


def _table(practice, aged: reports.Aging, figures: reports.PeriodFigures) -> str:
    money = lambda minor: format_plain(minor, aged.currency)  # noqa: E731
    lines = [
        f"{practice.slug} · {practice.name} · aging as of {aged.as_of.isoformat()} "
        f"({aged.currency}, {practice.timezone})",
        f"{'days past due':<15}{'amount':>15}{'invoices':>10}",
    ]
    for bucket in aged.buckets:
        lines.append(f"{bucket.key:<15}{money(bucket.amount_minor):>15}{bucket.invoices:>10}")
    lines.append(f"{'total':<15}{money(aged.total_minor):>15}{aged.invoices:>10}")
    period = figures.period
    dso = "n/a (no charges)" if figures.dso_days is None else f"{figures.dso_days} days"
    lines.append(
        f"DSO {dso} over {period.days} days {period.first_day.isoformat()}.."
        f"{period.last_day.isoformat()}: receivables {money(figures.receivables_end_minor)}"
        f" / charges {money(figures.charges_minor)} x {period.days}"
    )
    return "\n".join(lines)
