"""Translated error pages."""

from flask import Flask, render_template, request, session
from flask_wtf.csrf import CSRFError


def register_error_handlers(app: Flask) -> None:
    def render(status: int):
        return render_template("errors/error.html", status=status), status

    for status in (400, 403, 404, 405, 429, 500):
        app.register_error_handler(status, lambda exc, status=status: render(status))

    def csrf_failed(exc):
        if request.path.startswith("/pay/") and request.is_json and "csrf_token" not in session:
            # a payment page's script whose session (and its CSRF secret) ended meanwhile
            from portal.patient.session import ended

            return ended()
        return render(400)

    app.register_error_handler(CSRFError, csrf_failed)
