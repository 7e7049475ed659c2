"""gunicorn settings for Saldo: `gunicorn -c python:portal.gunicorn_conf 'portal:create_app()'`
(an installed package) or `-c config/gunicorn.conf.py` (a checkout); every value can be set
through the environment."""

import gc
import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", multiprocessing.cpu_count() * 2 + 1))
#: one thread a worker: a page is Python work under the worker's one interpreter lock, so a
#: second thread only makes each request wait for the other's turn. At 16 connections the
#: bill's p99 was 17.0 ms with 5 workers of one thread against 27.0 ms with 5 of two (12
#: alternating rounds of each, bench/results.md, 2026-12-03). A request waiting on Stripe
#: holds its worker for the call: see docs/deploy.md for when to raise workers or threads.
threads = int(os.environ.get("GUNICORN_THREADS", "1"))
worker_class = "gthread"
keepalive = 5
#: connections a worker holds at once: those its threads answer on, and three kept idle. A
#: kept-alive connection (nginx's upstream pool, a load generator) stays with the worker that
#: accepted it, and the first to wake accepts: uncapped, one worker may hold most of them,
#: all sharing its one core, while other workers idle (at 16 connections the bill served
#: 640-680 requests/s in such rounds, against 1,550-1,750). Capped, a worker stops accepting
#: at the cap and closes a connection once it keeps `worker_connections - threads` idle ones,
#: so the connections spread over the workers and one beyond every worker's cap waits in the
#: listen queue for the first with room.
worker_connections = int(os.environ.get("GUNICORN_WORKER_CONNECTIONS", threads + 3))
timeout = 30
#: each worker's heartbeat file, touched on every turn of its loop: in memory (/dev/shm where
#: there is one), so a disk busy with the database's writes never holds a worker up
_MEMORY = "/dev/shm"  # noqa: S108 (gunicorn makes its file there with mkstemp, then unlinks it)
worker_tmp_dir = os.environ.get("GUNICORN_WORKER_TMP_DIR") or (
    _MEMORY if os.path.isdir(_MEMORY) else None
)
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
accesslog = os.environ.get("GUNICORN_ACCESSLOG", "-") or None
#: client, request line, status, bytes, duration and the request id the app answered with
access_log_format = '%(h)s "%(r)s" %(s)s %(b)s %(M)sms request_id=%({x-request-id}o)s'
_formatter = {"()": "portal.log_filters.formatter", "kind": os.environ.get("LOG_FORMAT")}
logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"saldo": _formatter},
    "filters": {
        "redact": {"()": "portal.log_filters.RedactLinkTokens"},
        "request_id": {"()": "portal.log_filters.AddRequestId"},
    },
    "handlers": {
        "access": {
            "class": "logging.StreamHandler",
            "formatter": "saldo",
            "filters": ["redact"],
            "stream": "ext://sys.stdout",
        },
        "error": {
            "class": "logging.StreamHandler",
            "formatter": "saldo",
            "filters": ["redact", "request_id"],
            "stream": "ext://sys.stderr",
        },
    },
    "root": {"level": os.environ.get("LOG_LEVEL", "INFO"), "handlers": ["error"]},
    "loggers": {
        "gunicorn.access": {"handlers": ["access"], "level": "INFO", "propagate": False},
        "gunicorn.error": {"handlers": ["error"], "level": "INFO", "propagate": False},
    },
}

#: import the app once in the master, not once per worker (pyHanko, SQLAlchemy, Babel's data);
#: no database connection is opened at import, and each worker drops any pooled connection
#: it inherited (`post_fork`), so no socket is shared between processes
preload_app = os.environ.get("GUNICORN_PRELOAD", "1") == "1"


def pre_fork(server, worker):
    """With the app imported in the master, move everything it holds out of the garbage
    collector's reach before a worker forks (`gc.freeze`): the app's few hundred thousand
    long-lived objects are then never traversed again by a worker's full collections (a
    pause of about 0.2 s every few thousand requests), and the pages they sit on stay
    shared with the master instead of being copied when a collection touches them."""
    if preload_app:
        gc.freeze()


def post_fork(server, worker):
    """Give each worker its own database connections."""
    if not preload_app:
        return
    from portal.extensions import db

    app = server.app.wsgi()
    if "sqlalchemy" not in getattr(app, "extensions", {}):
        return  # an app without a database (the benchmark's bare route)
    with app.app_context():
        for engine in db.engines.values():
            engine.dispose(close=False)


def when_ready(server):
    """With the app imported in the master, compile its page templates there too, before the
    workers fork: each worker then starts with them instead of compiling every template on its
    own first request for it (tens of milliseconds a page, on every worker after a restart)."""
    if not preload_app:
        return
    jinja = getattr(server.app.wsgi(), "jinja_env", None)
    if jinja is None:
        return
    for name in jinja.list_templates(filter_func=lambda name: name.endswith(".html")):
        jinja.get_template(name)
