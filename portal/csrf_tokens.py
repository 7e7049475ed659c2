"""The signed CSRF token of a session, signed once per process rather than on every page.

Flask-WTF signs the session's CSRF secret again on each request that shows a form. With no
time limit on tokens (`WTF_CSRF_TIME_LIMIT = None`), a token signed earlier for the same
secret and key is as good as a new one, so the token signed for a session is kept (a
`BoundedMap`) and put where Flask-WTF looks for the request's token before it
signs. With a time limit set, every request signs its own token, as Flask-WTF does.
"""

from flask import Flask, current_app, g, session

from portal.bounded import BoundedMap

#: Flask-WTF's names: the session key of the secret and the `g` attribute of the token
FIELD = "csrf_token"
SIZE = 4096


def _key() -> tuple | None:
    secret = session.get(FIELD)
    if not isinstance(secret, str) or current_app.config.get("WTF_CSRF_TIME_LIMIT") is not None:
        return None
    signing_key = current_app.config.get("WTF_CSRF_SECRET_KEY") or current_app.secret_key
    return (signing_key, secret)


def _tokens() -> BoundedMap[tuple, str]:
    return current_app.extensions["saldo_csrf_tokens"]


def reuse_signed_token() -> None:
    """Before the view: the token this process signed for the session's secret, if any."""
    key = _key()
    token = _tokens().get(key) if key is not None else None
    if token is not None:
        setattr(g, FIELD, token)


def keep_signed_token(response):
    """After the view: keep the token Flask-WTF signed for this session's secret."""
    token = g.get(FIELD)
    if token is not None:
        key = _key()
        if key is not None and _tokens().get(key) != token:
            _tokens().put(key, token)
    return response


def init_app(app: Flask) -> None:
    app.extensions["saldo_csrf_tokens"] = BoundedMap(SIZE)
    app.before_request(reuse_signed_token)
    app.after_request(keep_signed_token)
