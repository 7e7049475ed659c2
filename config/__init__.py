"""Deployment configuration: settings classes, Babel extraction map, gunicorn settings."""
