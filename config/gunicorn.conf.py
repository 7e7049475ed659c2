"""gunicorn settings for Saldo: `gunicorn -c config/gunicorn.conf.py 'portal:create_app()'`.

The settings live in the package (`portal/gunicorn_conf.py`) so an installed wheel has them
too (`gunicorn -c python:portal.gunicorn_conf …`); this file keeps the checkout's command.
"""

from portal.gunicorn_conf import *  # noqa: F403
