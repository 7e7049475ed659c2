"""Who may do what: roles on every staff view, and queries scoped to the user's practice."""

from functools import wraps

from flask import abort, g
from flask_login import current_user, login_required

from portal.extensions import db, login_manager
from portal.models import StaffUser
from portal.services.audit import Actor

#: role groups used by the views
READ = ("owner", "billing", "viewer")
WRITE = ("owner", "billing")
OWNER = ("owner",)


@login_manager.user_loader
def load_user(user_id: str) -> StaffUser | None:
    return db.session.get(StaffUser, int(user_id)) if user_id.isdigit() else None


login_manager.login_view = "staff.login"
login_manager.login_message = None
login_manager.session_protection = "strong"


def role_required(*roles: str):
    """Sign-in required, and one of `roles`; also sets the practice settings on `g`."""

    def decorator(view):
        @wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            if not current_user.can(*roles):
                abort(403)
            g.staff_practice = current_user.practice
            g.practice_timezone = current_user.practice.timezone
            return view(*args, **kwargs)

        return wrapped

    return decorator


def scoped(model, object_id: int):
    """The object with `object_id` if it belongs to the user's practice, else 404."""
    obj = db.session.get(model, object_id)
    if obj is None or getattr(obj, "practice_id", None) != current_user.practice_id:
        abort(404)
    return obj


def actor(ip_address: str | None) -> Actor:
    return Actor("staff", str(current_user.id), ip_address)
