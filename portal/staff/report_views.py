"""Reports: aging, DSO, collection rate, CEI and what the reminders recover; the aging CSV."""

import csv
import io
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from flask import Response, abort, render_template, request
from flask_babel import format_decimal, format_percent, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from portal.clock import practice_today
from portal.downloads import content_disposition
from portal.i18n import money_filter
from portal.models.cadence_step import CadenceChannel
from portal.services.collections import aging_report, period_report, reports
from portal.staff import bp
from portal.staff.access import READ, role_required

#: patient rows shown on the page; the CSV has them all
PATIENT_ROWS = 100

BUCKET_LABELS = {
    "current": _l("Not yet due"),
    "1-30": _l("%(low)s–%(high)s days", low=1, high=30),
    "31-60": _l("%(low)s–%(high)s days", low=31, high=60),
    "61-90": _l("%(low)s–%(high)s days", low=61, high=90),
    "91-120": _l("%(low)s–%(high)s days", low=91, high=120),
    "120+": _l("Over %(days)s days", days=120),
}
CHANNEL_LABELS = {
    CadenceChannel.CALL: _l("Phone call"),
    CadenceChannel.SMS: _l("Text message"),
    CadenceChannel.EMAIL: _l("Email"),
    CadenceChannel.LETTER: _l("Letter"),
}


def _as_of(practice) -> tuple[date, str | None]:
    text = request.args.get("as_of", "").strip()
    if not text:
        return practice_today(practice), None
    try:
        return date.fromisoformat(text), None
    except ValueError:
        return practice_today(practice), _("Enter the date as YYYY-MM-DD.")


def _days() -> tuple[int, str | None]:
    text = request.args.get("days", "").strip()
    if not text:
        return reports.DEFAULT_DAYS, None
    if text.isdigit() and 1 <= int(text) <= reports.MAX_DAYS:
        return int(text), None
    message = _("Enter a period of 1 to %(max)s days.", max=reports.MAX_DAYS)
    return reports.DEFAULT_DAYS, message


# --- the aging chart: geometry here, SVG markup in templates/staff/reports_chart.html ---------

WIDTH, HEIGHT = 640, 280
_LEFT, _RIGHT, _TOP, _BASELINE = 8, 632, 40, 232
_BAR = 60


@dataclass(frozen=True)
class ChartBar:
    label: str
    amount: str
    invoices: int
    x: float
    y: float
    width: float
    height: float
    #: centre of the slot, for the labels
    middle: float


@dataclass(frozen=True)
class Chart:
    width: int
    height: int
    baseline: int
    left: int
    right: int
    bars: tuple[ChartBar, ...]
    #: one sentence per bucket, for <desc>
    description: str


def aging_chart(aged: reports.Aging) -> Chart:
    """Bar heights proportional to each bucket's amount (the largest fills the plot)."""
    largest = max((b.amount_minor for b in aged.buckets), default=0)
    slot = (_RIGHT - _LEFT) / len(aged.buckets)
    bars, sentences = [], []
    for index, bucket in enumerate(aged.buckets):
        amount = money_filter(bucket.amount_minor, aged.currency)
        height = (_BASELINE - _TOP) * bucket.amount_minor / largest if largest else 0.0
        middle = _LEFT + slot * index + slot / 2
        label = str(BUCKET_LABELS[bucket.key])
        bars.append(
            ChartBar(
                label=label,
                amount=amount,
                invoices=bucket.invoices,
                x=round(middle - _BAR / 2, 1),
                y=round(_BASELINE - height, 1),
                width=_BAR,
                height=round(height, 1),
                middle=round(middle, 1),
            )
        )
        invoices = ngettext("%(num)d invoice", "%(num)d invoices", bucket.invoices)
        sentences.append(f"{label}: {amount} ({invoices})")
    return Chart(WIDTH, HEIGHT, _BASELINE, _LEFT, _RIGHT, tuple(bars), "; ".join(sentences) + ".")


def _days_value(value: Decimal | None) -> str | None:
    return None if value is None else format_decimal(value, "#,##0.0")


def _percent(value: Decimal | None) -> str | None:
    return None if value is None else format_percent(value / 100, "#,##0.0%")


@bp.get("/reports")
@role_required(*READ)
def reports_page():
    practice = current_user.practice
    as_of, date_error = _as_of(practice)
    days, days_error = _days()
    result = period_report.report(practice, as_of, days, patient_limit=PATIENT_ROWS)
    figures = result.figures
    return render_template(
        "staff/reports.html",
        report=result,
        aging=result.aging,
        figures=figures,
        chart=aging_chart(result.aging),
        labels=BUCKET_LABELS,
        channels=CHANNEL_LABELS,
        errors=[e for e in (date_error, days_error) if e],
        as_of=as_of,
        days=days,
        dso=_days_value(figures.dso_days),
        collection_rate=_percent(figures.collection_rate),
        cei=_percent(figures.cei),
        patient_rows=PATIENT_ROWS,
    )


@bp.get("/reports/aging.csv")
@role_required(*READ)
def reports_aging_csv():
    practice = current_user.practice
    as_of, error = _as_of(practice)
    if error:
        abort(400)
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(
        aging_report.aging_csv_rows(aging_report.aging(practice, as_of))
    )
    response = Response(out.getvalue(), mimetype="text/csv")
    name = f"aging-{practice.slug}-{as_of.isoformat()}.csv"
    response.headers["Content-Disposition"] = content_disposition(name, "attachment")
    response.headers["Cache-Control"] = "no-store"
    return response
