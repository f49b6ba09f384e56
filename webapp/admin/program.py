"""Ranks and custom fields: create, edit, and delete or deactivate when members depend on them."""

from flask import flash, g, redirect, render_template, request, url_for
from sqlalchemy import exists, select

from webapp.admin.blueprint import bp
from webapp.admin.forms import CustomFieldForm, RankForm
from webapp.admin.security import (
    PROGRAM_STAFF,
    allow,
    brand_object_or_404,
    record,
    save_unique,
)
from webapp.extensions import db
from webapp.models import CustomField, MemberWallet, Product, Rank, UserCustomFieldValue


def rank_in_use(rank):
    """True when members hold the rank or the brand's rewards require it."""
    held = select(
        exists().where(
            MemberWallet.brand_id == rank.brand_id, MemberWallet.current_rank_key == rank.key
        )
    )
    required = select(
        exists().where(Product.brand_id == rank.brand_id, Product.required_rank_key == rank.key)
    )
    return bool(db.session.scalar(held) or db.session.scalar(required))


def field_in_use(field):
    """True when members have answered the field."""
    return bool(
        db.session.scalar(select(exists().where(UserCustomFieldValue.custom_field_id == field.id)))
    )


def key_taken(model, column, brand_id, value, row_id):
    """True when another row of the brand already uses `value` in `column`."""
    ids = db.session.scalars(select(model.id).where(model.brand_id == brand_id, column == value))
    return any(found != row_id for found in ids)


@bp.get("/ranks")
@allow(*PROGRAM_STAFF)
def ranks():
    """The brand's rank ladder."""
    rows = db.session.scalars(
        select(Rank).where(Rank.brand_id == g.staff.brand_id).order_by(Rank.points_required)
    )
    reward_names = {product.id: product.name for product in _brand_rewards(g.staff.brand_id)}
    return render_template("admin/ranks.html", ranks=list(rows), reward_names=reward_names)


@bp.route("/ranks/new", methods=["GET", "POST"])
@allow(*PROGRAM_STAFF)
def rank_new():
    """Add a rank."""
    return _save(Rank(brand_id=g.staff.brand_id, is_active=True), RankForm, "rank")


@bp.route("/ranks/<int:rank_id>/edit", methods=["GET", "POST"])
@allow(*PROGRAM_STAFF)
def rank_edit(rank_id):
    """Edit a rank."""
    return _save(brand_object_or_404(Rank, rank_id), RankForm, "rank")


@bp.route("/ranks/<int:rank_id>/delete", methods=["GET", "POST"])
@allow(*PROGRAM_STAFF)
def rank_delete(rank_id):
    """Confirm, then delete; a rank held by members or required by rewards is deactivated."""
    rank = brand_object_or_404(Rank, rank_id)
    return _delete(rank, rank.name, rank_in_use(rank), "admin.ranks", "rank")


@bp.get("/custom-fields")
@allow(*PROGRAM_STAFF)
def custom_fields():
    """The brand's profile questions, in order."""
    rows = db.session.scalars(
        select(CustomField)
        .where(CustomField.brand_id == g.staff.brand_id)
        .order_by(CustomField.field_order, CustomField.id)
    )
    return render_template("admin/custom_fields.html", fields=list(rows))


@bp.route("/custom-fields/new", methods=["GET", "POST"])
@allow(*PROGRAM_STAFF)
def custom_field_new():
    """Add a profile question."""
    field = CustomField(brand_id=g.staff.brand_id, is_active=True, field_order=0)
    return _save(field, CustomFieldForm, "custom_field")


@bp.route("/custom-fields/<int:field_id>/edit", methods=["GET", "POST"])
@allow(*PROGRAM_STAFF)
def custom_field_edit(field_id):
    """Edit a profile question."""
    return _save(brand_object_or_404(CustomField, field_id), CustomFieldForm, "custom_field")


@bp.route("/custom-fields/<int:field_id>/delete", methods=["GET", "POST"])
@allow(*PROGRAM_STAFF)
def custom_field_delete(field_id):
    """Confirm, then delete; a question members have answered is deactivated."""
    field = brand_object_or_404(CustomField, field_id)
    return _delete(
        field, field.field_label, field_in_use(field), "admin.custom_fields", "custom_field"
    )


KEY_TAKEN = "This key is already used."


def _brand_rewards(brand_id):
    """The brand's rewards (products with a points cost), offered as rank entry rewards."""
    return db.session.scalars(
        select(Product)
        .where(Product.brand_id == brand_id, Product.points_cost > 0)
        .order_by(Product.name, Product.id)
    ).all()


KINDS = {
    "rank": ("key", "Rank", "admin.ranks"),
    "custom_field": ("field_key", "Custom field", "admin.custom_fields"),
}


def _save(row, form_class, kind):
    key_name, noun, list_endpoint = KINDS[kind]
    form = form_class(obj=row)
    if kind == "custom_field" and not form.is_submitted():
        form.field_options.data = ", ".join(row.field_options or [])
    if kind == "rank":
        form.offer_products(_brand_rewards(g.staff.brand_id))
    if form.validate_on_submit():
        column = getattr(type(row), key_name)
        if key_taken(type(row), column, g.staff.brand_id, getattr(form, key_name).data, row.id):
            getattr(form, key_name).errors.append(KEY_TAKEN)
        else:
            form.populate_obj(row)
            if kind == "custom_field":
                row.field_options = form.options()
                row.field_order = form.field_order.data or 0
            if kind == "rank":
                row.entry_product_id = form.entry_product()
                row.entry_points = form.entry_points.data or None
            key_field = getattr(form, key_name)
            if save_unique(row, f"{kind}_saved", key_field, KEY_TAKEN, key=key_field.data):
                flash("Saved.", "success")
                return redirect(url_for(list_endpoint), code=303)
    return render_template(
        "admin/edit_form.html",
        form=form,
        noun=noun,
        back=url_for(list_endpoint),
        active_nav=list_endpoint,
    )


def _delete(row, label, in_use, list_endpoint, kind):
    if request.method == "GET":
        return render_template(
            "admin/confirm_delete.html", thing=label, in_use=in_use, back=url_for(list_endpoint)
        )
    if in_use:
        row.is_active = False
        record(f"{kind}_deactivated", row, label=label)
        flash(f"{label} is in use, so it was deactivated.", "success")
    else:
        record(f"{kind}_deleted", row, label=label)
        db.session.delete(row)
        flash(f"Deleted {label}.", "success")
    db.session.commit()
    return redirect(url_for(list_endpoint), code=303)
