"""The rate limit of the patient pages a verified session reads over and over (the bill,
the checkout): the installation's default limit per address until the date of birth is
confirmed, and no limit at all afterwards.

Flask-Limiter would look the exempt limit up twice per request (its `before_request` and
the route's decorator) to find it exempt; a request filter answers first, for these views
only (`portal.request_limiter` asks it before any limit is resolved), so a verified look
does no limiter work and never touches its storage.
"""

from flask import current_app, request

from portal.extensions import limiter
from portal.patient import session as patient_session

#: the views that `default_unless_verified` limits, as registered with Flask
_VIEWS: set = set()


def default_unless_verified(view):
    """The default rate limit on `view` for a session that is not verified yet."""
    limit = limiter.limit(patient_session.default_limit, exempt_when=patient_session.is_verified)
    limited = limit(view)
    _VIEWS.add(limited)
    return limited


def verified_look() -> bool:
    """A request to one of those views from a verified session (Flask-Limiter's request
    filter: True exempts the request from every limit)."""
    endpoint = request.endpoint
    return (
        endpoint is not None
        and current_app.view_functions.get(endpoint) in _VIEWS
        and patient_session.is_verified()
    )


limiter.request_filter(verified_look)
