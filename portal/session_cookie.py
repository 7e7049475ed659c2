"""The signed session cookie, signed again only when the session changed or the cookie is
getting old, so a page that only reads the session does not re-sign and resend it."""

from flask import Flask
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface
from itsdangerous import BadSignature, URLSafeTimedSerializer

from portal import clock

#: a permanent session's unchanged cookie is sent again, with its lifetime renewed, once it
#: is this many seconds old (Flask re-signs it on every request)
REFRESH_AFTER = 60


def _now() -> float:
    return clock.timestamp()


class SessionCookie(SecureCookieSessionInterface):
    """Flask's cookie session, with the serializer built once per key and the refresh of an
    unchanged permanent session at most once every `REFRESH_AFTER` seconds."""

    def get_signing_serializer(self, app: Flask) -> URLSafeTimedSerializer | None:
        if not app.secret_key:
            return None
        keys = (*(app.config["SECRET_KEY_FALLBACKS"] or ()), app.secret_key)
        kept = app.extensions.get("saldo_session_serializer")
        if kept is None or kept[0] != keys:
            kept = (keys, super().get_signing_serializer(app))
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
        try:
            data, signed_at = serializer.loads(value, max_age=max_age, return_timestamp=True)
        except BadSignature:
            return self.session_class()
        session = self.session_class(data)
        session.signed_at = signed_at.timestamp()
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
