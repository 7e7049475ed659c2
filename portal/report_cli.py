"""`flask report …`: collection reports from the command line."""

from flask.cli import AppGroup

report_cli = AppGroup("report", help="Collection reports: aging, DSO.")
