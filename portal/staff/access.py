"""Who may do what: roles on every staff view, and queries scoped to the user's practice."""

from functools import wraps

from flask import abort, current_app, g, session
from flask_login import current_user, login_required

from portal import clock
from portal.extensions import db, login_manager
from portal.models import StaffUser
from portal.models.audit import ActorKind
from portal.models.staff import Role
from portal.services.core.audit import Actor

#: role groups used by the views
READ = (Role.OWNER, Role.BILLING, Role.VIEWER)
WRITE = (Role.OWNER, Role.BILLING)
OWNER = (Role.OWNER,)


#: session keys: the user's session version at sign-in, and when the sign-in happened
VERSION_KEY, SINCE_KEY = "staff_sv", "staff_since"


def stamp_session(user: StaffUser) -> None:
    """Bind the session to the user's current session version."""
    session[VERSION_KEY] = user.session_version
    session.setdefault(SINCE_KEY, int(clock.timestamp()))


@login_manager.user_loader
def load_user(user_id: str) -> StaffUser | None:
    """The signed-in user, if the session is still the current version and not too old."""
    user = db.session.get(StaffUser, int(user_id)) if user_id.isdigit() else None
    if user is None or session.get(VERSION_KEY) != user.session_version:
        return None
    since = session.get(SINCE_KEY)
    max_age = current_app.config["STAFF_SESSION_MAX_AGE"].total_seconds()
    if not isinstance(since, int) or clock.timestamp() - since > max_age:
        return None
    return user


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
    return Actor(ActorKind.STAFF, str(current_user.id), ip_address)
