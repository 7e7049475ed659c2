"""The short patient session that replaces the link token after the first request."""

from functools import wraps

from flask import current_app, g, jsonify, redirect, render_template, request, session, url_for
from itsdangerous import BadSignature, TimestampSigner, URLSafeTimedSerializer

from portal import clock
from portal.bounded import BoundedMap
from portal.models import PaymentLink
from portal.models.audit import ActorKind
from portal.services.access import links
from portal.services.core.audit import Actor

LINK_KEY = "link_id"
VERIFIED_KEY = "verified_link_id"
LANDING_KEY = "lands_on"
#: the pages a message's link may open after the date of birth (`/p/<token>?to=<name>`,
#: `messaging.purposes.Purpose.lands_on`)
LANDINGS = {"question": "patient.question"}


#: kept when the patient session starts afresh: the language choice and the CSRF secret,
#: so a second tab opened from the same message does not break the first one's form
KEPT = ("lang", "csrf_token")


def _reset(**values) -> None:
    kept = {key: session[key] for key in KEPT if key in session}
    session.clear()
    session.update(kept, **values)
    session.permanent = True


def start(link: PaymentLink, lands_on: str | None = None) -> None:
    """Begin a patient session for `link`; reopening the same link keeps the session.
    `lands_on` (a name of `LANDINGS`, from the message's URL) is the page to open after the
    date of birth instead of the bill."""
    if session.get(LINK_KEY) != link.id:
        _reset(**{LINK_KEY: link.id})
    session.permanent = True
    if lands_on in LANDINGS:
        session[LANDING_KEY] = lands_on


def landing_url() -> str:
    """Where a verified patient goes: the page their message's link named (once), else the
    bill."""
    return url_for(LANDINGS.get(session.pop(LANDING_KEY, None), "patient.invoice"))


def mark_verified(link: PaymentLink) -> None:
    _reset(**{LINK_KEY: link.id, VERIFIED_KEY: link.id})


def load_link(options: tuple = ()) -> PaymentLink | None:
    """Put the session's link, invoice and practice settings on `g` (one statement; `options`
    are extra loader options on the invoice)."""
    link_id = session.get(LINK_KEY)
    link = links.usable(link_id, options=options) if isinstance(link_id, int) else None
    if link is None:
        return None
    invoice = link.invoice
    g.link, g.invoice, g.practice = link, invoice, invoice.practice
    g.patient_locale = invoice.patient.locale
    g.practice_locale = invoice.practice.default_locale
    g.practice_timezone = invoice.practice.timezone
    return link


def default_limit() -> str:
    """The installation's default rate limit, for views that are exempt once verified."""
    return current_app.config["RATELIMIT_DEFAULT"]


def is_verified() -> bool:
    return session.get(VERIFIED_KEY) is not None and session.get(VERIFIED_KEY) == session.get(
        LINK_KEY
    )


def actor(ip_address: str | None) -> Actor:
    return Actor(ActorKind.PATIENT, f"link:{g.link.id}", ip_address)


def link_required(verified: bool = True, options: tuple = ()):
    """The view needs a live link in the session (and, by default, a verified patient);
    `options` load more of the invoice with the link."""

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if load_link(options) is None:
                return ended()
            if verified and not is_verified():
                return redirect(url_for("patient.verify"))
            return view(*args, **kwargs)

        return wrapped

    return decorator


#: how long after the page was shown "Open your bill again" still works (the date of birth
#: is asked again in any case)
RESUME_MAX_AGE = 12 * 3600
#: the browser keeps the last page's resume note here, so that a page loaded after the
#: session ended can offer the same way back in as the checkout
RESUME_COOKIE = "saldo_resume"


def ended():
    """The answer when the session is gone: JSON for the payment pages' scripts (so they can
    say so and offer the way back in), the "session ended" page otherwise."""
    if request.is_json or request.accept_mimetypes.best == "application/json":
        from portal.patient.messages import session_ended

        return jsonify(
            error=session_ended(), reason="session_ended", resume_url=url_for("patient.resume")
        ), 401
    note = request.cookies.get(RESUME_COOKIE, "")
    if note and link_to_resume(note) is None:
        note = ""  # forged, older than 12 hours, or its link is gone: the message only
    return render_template("patient/session_ended.html", resume_note=note), 401


#: a link's resume note is signed for a window of this many seconds, not on every page (its
#: 12 hours then count from up to this long before the page was shown)
RESUME_RESIGN_AFTER = 60


class _WindowSigner(TimestampSigner):
    """Signs with the start of the current window: every worker writes the same note for a
    link in one window, so the browser's copy matches whichever worker answers."""

    def get_timestamp(self) -> int:
        return _window() * RESUME_RESIGN_AFTER


def _window() -> int:
    return int(_now()) // RESUME_RESIGN_AFTER


def _resume_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(
        current_app.secret_key, salt="saldo-patient-resume", signer=_WindowSigner
    )


_NOTES_SIZE = 4096


def _now() -> float:
    return clock.timestamp()


def resume_token(link_id: int | None = None) -> str:
    """A signed note of the session's link (or of `link_id`), put in the payment pages so
    that a patient whose session ends there can start again (with the date of birth) without
    the message. The note of a link is kept per process for its window of
    `RESUME_RESIGN_AFTER` seconds."""
    notes = current_app.extensions.get("saldo_resume_notes")
    if notes is None:
        notes = current_app.extensions.setdefault("saldo_resume_notes", BoundedMap(_NOTES_SIZE))
    link_id, now = g.link.id if link_id is None else link_id, _window()
    kept = notes.get(link_id)
    if kept is None or kept[1] != now:
        kept = (_resume_serializer().dumps(link_id), now)
        notes.put(link_id, kept)
    return kept[0]


def link_to_resume(token: str) -> PaymentLink | None:
    """The live link a resume token names, if it is genuine and recent enough."""
    try:
        link_id = _resume_serializer().loads(token, max_age=RESUME_MAX_AGE)
    except BadSignature:
        return None
    return links.usable(link_id) if isinstance(link_id, int) else None
