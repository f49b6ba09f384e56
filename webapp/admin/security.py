"""Admin access in one place: the staff row for the request's brand, role rules, scoped loads."""

from flask import abort, g, redirect, request, url_for
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from webapp.extensions import db
from webapp.models import BrandStaff, StaffAuditLog
from webapp.tenancy import current_brand

ALL_STAFF = ("owner", "manager", "support")
PROGRAM_STAFF = ("owner", "manager")
OWNERS = ("owner",)

# endpoint -> roles allowed; filled by @allow. An admin endpoint missing here is refused.
ENDPOINT_ROLES = {}


def allow(*roles):
    """Declare which staff roles may use a view (the before_request hook enforces it)."""

    def register(view):
        ENDPOINT_ROLES[f"admin.{view.__name__}"] = roles
        return view

    return register


def load_staff():
    """before_request: sign-in, staff row of this brand, role check; sets g.staff."""
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?")), code=302)
    brand = current_brand()
    staff = None
    if brand is not None:
        staff = db.session.scalar(
            select(BrandStaff).where(
                BrandStaff.user_id == current_user.id, BrandStaff.brand_id == brand.id
            )
        )
    if staff is None:
        abort(403)
    if staff.role not in ENDPOINT_ROLES.get(request.endpoint, ()):
        abort(403)
    g.staff = staff
    return None


def brand_object_or_404(model, object_id):
    """The `model` row with this id when it belongs to the request's brand, else 404."""
    row = db.session.get(model, object_id)
    if row is None or row.brand_id != g.staff.brand_id:
        abort(404)
    return row


def record(action, target=None, **details):
    """Add a staff audit row to the session (committed with the change it describes)."""
    db.session.add(
        StaffAuditLog(
            brand_id=g.staff.brand_id,
            staff_user_id=g.staff.user_id,
            action=action,
            target_type=type(target).__name__ if target is not None else None,
            target_id=getattr(target, "id", None),
            details=details or None,
        )
    )


def save_unique(row, action, key_field, message, **details):
    """Add, audit and commit `row`; False, with `message` on the form field `key_field`, when
    a save at the same moment took the row's unique key first."""
    try:
        db.session.add(row)
        db.session.flush()
        record(action, row, **details)
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        key_field.errors.append(message)
        return False
    return True
