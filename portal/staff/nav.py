"""The staff layout's figures (`StaffNav`), read once per request for a signed-in member and
given to every staff template as `staff_nav` (None before sign-in)."""

from flask import g
from flask_login import current_user

from portal.services.practice import staff_nav
from portal.services.practice.staff_nav import StaffNav
from portal.staff import bp


def current_nav() -> StaffNav | None:
    if not current_user.is_authenticated:
        return None
    if "staff_nav" not in g:
        g.staff_nav = staff_nav.build(current_user.practice_id)
    return g.staff_nav


@bp.context_processor
def nav_context() -> dict:
    return {"staff_nav": current_nav()}
