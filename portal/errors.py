"""Translated error pages."""

from flask import Flask, render_template
from flask_wtf.csrf import CSRFError


def register_error_handlers(app: Flask) -> None:
    def render(status: int):
        return render_template("errors/error.html", status=status), status

    for status in (400, 403, 404, 405, 429, 500):
        app.register_error_handler(status, lambda exc, status=status: render(status))
    app.register_error_handler(CSRFError, lambda exc: render(400))
