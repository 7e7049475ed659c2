"""The patient's right to oppose sending an expense to the Sistema TS (art. 3 of the decree
of the Ministry of Economy and Finance of 31 July 2015): offered on the bill after the
identity check, recorded with who, when and the exact text shown."""

from flask_babel import gettext as _

from portal.extensions import db
from portal.models import Invoice, TsOpposition
from portal.services.core import audit
from portal.services.core.audit import Actor


def notice_text() -> str:
    """The notice shown to the patient, in the current language."""
    return _(
        "You may oppose the transmission of this expense to the Sistema Tessera Sanitaria "
        "(art. 3 of the decree of 31 July 2015). If you oppose, the Agenzia delle Entrate will "
        "not receive it for your pre-filled tax return, and you will have to add it to your "
        "return yourself to claim the deduction."
    )


def is_opposed(invoice: Invoice) -> bool:
    """The patient's choice in force for `invoice` (no record: not opposed)."""
    latest = db.session.scalar(
        db.select(TsOpposition)
        .filter_by(invoice_id=invoice.id)
        .order_by(TsOpposition.recorded_at.desc(), TsOpposition.id.desc())
        .limit(1)
    )
    return bool(latest and latest.opposed)


def record(invoice: Invoice, opposed: bool, text_shown: str, locale: str, actor: Actor) -> None:
    """Record the patient's choice (the caller commits)."""
    by = f"{actor.kind}:{actor.ref}" if actor.ref else actor.kind
    db.session.add(
        TsOpposition(
            invoice_id=invoice.id,
            opposed=opposed,
            recorded_by=by[:64],
            text_shown=text_shown,
            locale=locale,
            ip_address=actor.ip_address,
        )
    )
    audit.record(
        "fiscal.ts_opposition" if opposed else "fiscal.ts_opposition_withdrawn",
        practice_id=invoice.practice_id,
        invoice_id=invoice.id,
        actor=actor,
    )
    db.session.flush()
