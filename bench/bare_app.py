"""Baseline for the benchmark: the smallest Flask app, one route returning a short string.

Served by the same `config/gunicorn.conf.py` as the portal: `gunicorn -c config/gunicorn.conf.py
bench.bare_app:app` (run from the project root).
"""

from flask import Flask

app = Flask(__name__)


@app.get("/")
def hello() -> str:
    return "hello"
