"""The staff layout's figures (`StaffNav`), given to every staff template as `staff_nav`: read
from the database only when a template reads one of them, and then once per request; false
before sign-in."""

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


class LazyNav:
    """The request's `StaffNav`, built on the first figure a template reads (a fragment or an
    error page that reads none costs no statement); false when nobody is signed in."""

    def __bool__(self) -> bool:
        return current_user.is_authenticated

    def __getattr__(self, name: str):
        return getattr(current_nav(), name)


@bp.context_processor
def nav_context() -> dict:
    return {"staff_nav": LazyNav()}
