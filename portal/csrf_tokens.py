"""The signed CSRF token of a session, signed once per process rather than on every page.

Flask-WTF signs the session's CSRF secret again on each request that shows a form. With no
time limit on tokens (`WTF_CSRF_TIME_LIMIT = None`), a token signed earlier for the same
secret and key is as good as a new one, so the token signed for a session is kept (a bounded
map, emptied when full) and put where Flask-WTF looks for the request's token before it
signs. With a time limit set, every request signs its own token, as Flask-WTF does.
"""

import threading

from flask import Flask, current_app, g, session

#: Flask-WTF's names: the session key of the secret and the `g` attribute of the token
FIELD = "csrf_token"
SIZE = 4096


class SignedTokens:
    def __init__(self, size: int = SIZE):
        self.size = size
        self._tokens: dict[tuple, str] = {}
        self._lock = threading.Lock()

    def get(self, key: tuple) -> str | None:
        return self._tokens.get(key)

    def put(self, key: tuple, token: str) -> None:
        with self._lock:
            if len(self._tokens) >= self.size:
                self._tokens.clear()
            self._tokens[key] = token


def _key() -> tuple | None:
    secret = session.get(FIELD)
    if not isinstance(secret, str) or current_app.config.get("WTF_CSRF_TIME_LIMIT") is not None:
        return None
    signing_key = current_app.config.get("WTF_CSRF_SECRET_KEY") or current_app.secret_key
    return (signing_key, secret)


def _tokens() -> SignedTokens:
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
    app.extensions["saldo_csrf_tokens"] = SignedTokens()
    app.before_request(reuse_signed_token)
    app.after_request(keep_signed_token)
