"""Fallback gunicorn settings: config/gunicorn.conf.py as is, plus a root logger.

The project's `logconfig_dict` replaces gunicorn's default handlers, but gunicorn's default root
logger still names the "console" handler, so gunicorn stops at start-up with "Unable to configure
root logger". `bench/run.py` uses this file only when the project's file fails that way, and
says so in its output. Every other setting is the project's own.
"""

import runpy
import types
from pathlib import Path

_project = runpy.run_path(str(Path(__file__).resolve().parent.parent / "config/gunicorn.conf.py"))
globals().update(
    {
        name: value
        for name, value in _project.items()
        if not name.startswith("_") and not isinstance(value, types.ModuleType)
    }
)
logconfig_dict = {**_project["logconfig_dict"], "root": {"level": "INFO", "handlers": ["error"]}}
