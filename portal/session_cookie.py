"""The signed session cookie, signed again only when the session changed or the cookie is
getting old, so a page that only reads the session does not re-sign and resend it; and a
cookie already verified by this process is not verified again."""

from flask import Flask
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface
from itsdangerous import BadSignature, URLSafeTimedSerializer

from portal import clock
from portal.bounded import BoundedMap

#: a permanent session's unchanged cookie is sent again, with its lifetime renewed, once it
#: is this many seconds old (Flask re-signs it on every request)
REFRESH_AFTER = 60
#: cookies whose signature this process has checked, kept with what they carry
VERIFIED_SIZE = 2048
#: what a kept session may hold to be copied rather than decoded again
_SCALARS = (str, int, float, bool, type(None))


def _now() -> float:
    return clock.timestamp()


class VerifiedCookies:
    """The cookie values whose signature was checked, with their data and signing time; an
    exact value seen again is the same session (its age is still checked by the caller).
    Bounded (`BoundedMap`). Only sessions of plain values are kept (they are copied)."""

    def __init__(self, size: int = VERIFIED_SIZE):
        self._seen: BoundedMap[str, tuple[dict, float]] = BoundedMap(size)

    def get(self, value: str) -> tuple[dict, float] | None:
        return self._seen.get(value)  # the session class copies the (plain) data

    def put(self, value: str, data: dict, signed_at: float) -> None:
        if all(isinstance(item, _SCALARS) for item in data.values()):
            self._seen.put(value, (dict(data), signed_at))


class SessionCookie(SecureCookieSessionInterface):
    """Flask's cookie session, with the serializer built once per key, a cookie verified
    once per process, and the refresh of an unchanged permanent session at most once every
    `REFRESH_AFTER` seconds."""

    def get_signing_serializer(self, app: Flask) -> URLSafeTimedSerializer | None:
        if not app.secret_key:
            return None
        keys = (*(app.config["SECRET_KEY_FALLBACKS"] or ()), app.secret_key)
        kept = app.extensions.get("saldo_session_serializer")
        if kept is None or kept[0] != keys:
            kept = (keys, super().get_signing_serializer(app), VerifiedCookies())
            app.extensions["saldo_session_serializer"] = kept
        return kept[1]

    def open_session(self, app: Flask, request) -> SecureCookieSession | None:
        serializer = self.get_signing_serializer(app)
        if serializer is None:
            return None
        value = request.cookies.get(self.get_cookie_name(app))
        if not value:
            return self.session_class()
        max_age = int(app.permanent_session_lifetime.total_seconds())
        verified = app.extensions["saldo_session_serializer"][2]
        found = verified.get(value)
        if found is not None and _now() - found[1] <= max_age:
            data, signed_at = found
        else:
            try:
                data, stamp = serializer.loads(value, max_age=max_age, return_timestamp=True)
            except BadSignature:
                return self.session_class()
            signed_at = stamp.timestamp()
            verified.put(value, data, signed_at)
        session = self.session_class(data)
        session.signed_at = signed_at
        return session

    def should_set_cookie(self, app: Flask, session) -> bool:
        if session.modified:
            return True
        if not (session.permanent and app.config["SESSION_REFRESH_EACH_REQUEST"]):
            return False
        signed_at = getattr(session, "signed_at", None)
        return signed_at is None or _now() - signed_at >= REFRESH_AFTER


def init_app(app: Flask) -> None:
    app.session_interface = SessionCookie()
