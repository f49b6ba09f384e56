"""Staff management and the audit log (owners)."""

from flask import flash, g, redirect, render_template, url_for
from sqlalchemy import func, select

from webapp.admin.blueprint import bp
from webapp.admin.forms import RoleForm, StaffForm
from webapp.admin.member_directory import of_brand
from webapp.admin.security import OWNERS, allow, brand_object_or_404, record
from webapp.extensions import db
from webapp.models import BrandStaff, StaffAuditLog, User
from webapp.pagination import paginate
from webapp.replica import reads_from_replica
from webapp.urls import requested_page

AUDIT_PAGE = 50
NOT_A_MEMBER = "No member of this brand uses this email; ask them to join the program first."


def staff_rows(brand_id):
    """(BrandStaff, User) pairs of the brand, by email."""
    return db.session.execute(
        select(BrandStaff, User)
        .join(User, User.id == BrandStaff.user_id)
        .where(BrandStaff.brand_id == brand_id)
        .order_by(User.email)
    ).all()


def owner_count(brand_id):
    """How many owners the brand has (the last one can't be demoted or removed)."""
    return db.session.scalar(
        select(func.count()).where(BrandStaff.brand_id == brand_id, BrandStaff.role == "owner")
    )


@bp.route("/staff", methods=["GET", "POST"])
@allow(*OWNERS)
def staff_list():
    """The brand's staff, and a form to add an existing account by email."""
    form = StaffForm()
    if form.validate_on_submit():
        email = form.email.data.strip().lower()
        # Only the brand's own members: whether an email has an account elsewhere stays unsaid.
        user = db.session.scalar(
            select(User).where(User.email == email, of_brand(g.staff.brand_id))
        )
        if user is None:
            form.email.errors.append(NOT_A_MEMBER)
        elif db.session.scalar(
            select(BrandStaff).where(
                BrandStaff.user_id == user.id, BrandStaff.brand_id == g.staff.brand_id
            )
        ):
            form.email.errors.append("This person is already on the staff.")
        else:
            member = BrandStaff(user_id=user.id, brand_id=g.staff.brand_id, role=form.role.data)
            db.session.add(member)
            db.session.flush()
            record("staff_added", member, email=email, role=member.role)
            db.session.commit()
            flash(f"Added {email} as {member.role}.", "success")
            return redirect(url_for("admin.staff_list"), code=303)
    rows = staff_rows(g.staff.brand_id)
    return render_template("admin/staff.html", form=form, rows=rows, role_form=RoleForm())


@bp.post("/staff/<int:staff_id>/role")
@allow(*OWNERS)
def staff_role(staff_id):
    """Change a staff member's role (the brand always keeps an owner)."""
    member = brand_object_or_404(BrandStaff, staff_id)
    form = RoleForm()
    if not form.validate_on_submit():
        flash("Choose a role.", "error")
    elif member.role == "owner" and form.role.data != "owner" and owner_count(member.brand_id) < 2:
        flash("The brand needs at least one owner.", "error")
    else:
        record("staff_role_changed", member, old=member.role, new=form.role.data)
        member.role = form.role.data
        db.session.commit()
        flash("Role changed.", "success")
    return redirect(url_for("admin.staff_list"), code=303)


@bp.post("/staff/<int:staff_id>/remove")
@allow(*OWNERS)
def staff_remove(staff_id):
    """Take a person off the staff (their member account stays)."""
    member = brand_object_or_404(BrandStaff, staff_id)
    if member.role == "owner" and owner_count(member.brand_id) < 2:
        flash("The brand needs at least one owner.", "error")
    else:
        record("staff_removed", member, user_id=member.user_id, role=member.role)
        db.session.delete(member)
        db.session.commit()
        flash("Removed from the staff.", "success")
    return redirect(url_for("admin.staff_list"), code=303)


@bp.get("/audit")
@allow(*OWNERS)
@reads_from_replica
def audit():
    """What staff changed, newest first."""
    query = (
        select(StaffAuditLog, User.email)
        .outerjoin(User, User.id == StaffAuditLog.staff_user_id)
        .where(StaffAuditLog.brand_id == g.staff.brand_id)
        .order_by(StaffAuditLog.created_at.desc(), StaffAuditLog.id.desc())
    )
    page = paginate(query, requested_page(), AUDIT_PAGE)
    return render_template("admin/audit.html", page=page)
