"""Products: list, create, edit, and delete (or deactivate when scans or codes point at them)."""

from flask import flash, g, redirect, render_template, request, url_for
from sqlalchemy import exists, select

from webapp.admin.blueprint import bp
from webapp.admin.forms import ProductForm
from webapp.admin.program import key_taken
from webapp.admin.security import (
    PROGRAM_STAFF,
    allow,
    brand_object_or_404,
    record,
    save_unique,
)
from webapp.extensions import db
from webapp.media import PRODUCT_PHOTO, MediaError, upload_from
from webapp.models import (
    CodeBatch,
    Product,
    Rank,
    Redemption,
    ScanCode,
    UserActionLog,
    UserGoal,
    Wishlist,
)

SKU_TAKEN = "Another product already uses this SKU."


def rank_choices(brand_id):
    """Choices for a product's required rank: any rank, then the brand's ranks."""
    ranks = db.session.scalars(
        select(Rank).where(Rank.brand_id == brand_id).order_by(Rank.points_required)
    )
    return [("", "Any rank")] + [(r.key, r.name) for r in ranks]


def product_in_use(product_id):
    """True when batches, codes, ledger, redemptions, goals or wishlists use the product."""
    columns = (
        CodeBatch.product_id,
        ScanCode.product_id,
        UserActionLog.product_id,
        Redemption.product_id,
        UserGoal.product_id,
        Wishlist.product_id,
    )
    return any(db.session.scalar(select(exists().where(c == product_id))) for c in columns)


@bp.get("/products")
@allow(*PROGRAM_STAFF)
def products():
    """Every product of the brand."""
    rows = db.session.scalars(
        select(Product).where(Product.brand_id == g.staff.brand_id).order_by(Product.name)
    )
    return render_template("admin/products.html", products=list(rows))


@bp.route("/products/new", methods=["GET", "POST"])
@allow(*PROGRAM_STAFF)
def product_new():
    """Create a product."""
    return _save_product(Product(brand_id=g.staff.brand_id, is_active=True), "product_created")


@bp.route("/products/<int:product_id>/edit", methods=["GET", "POST"])
@allow(*PROGRAM_STAFF)
def product_edit(product_id):
    """Edit a product."""
    return _save_product(brand_object_or_404(Product, product_id), "product_updated")


def _save_product(product, action):
    form = ProductForm(obj=product)
    form.required_rank_key.choices = rank_choices(g.staff.brand_id)
    if not form.is_submitted():
        form.tags.data = ", ".join(product.tags or [])
    if form.validate_on_submit():
        if key_taken(Product, Product.sku, g.staff.brand_id, form.sku.data.strip(), product.id):
            form.sku.errors.append(SKU_TAKEN)
        elif _take_photo(form, product):
            form.apply_to(product)
            if save_unique(product, action, form.sku, SKU_TAKEN, sku=product.sku):
                flash(f"Saved {product.name}.", "success")
                return redirect(url_for("admin.products"), code=303)
    return render_template(
        "admin/edit_form.html",
        form=form,
        noun=product.name or "New product",
        back=url_for("admin.products"),
        active_nav="admin.products",
        image=product.image_url,
    )


def _take_photo(form, product):
    """Put an uploaded photo (or its removal) on the product; False when the file is unusable."""
    try:
        url = upload_from(form.photo, g.staff.brand_id, PRODUCT_PHOTO)
    except MediaError:
        return False
    if url:
        product.image_url = url
    elif form.remove_photo.data:
        product.image_url = None
    return True


@bp.route("/products/<int:product_id>/delete", methods=["GET", "POST"])
@allow(*PROGRAM_STAFF)
def product_delete(product_id):
    """Confirm, then delete; a product with codes, scans or redemptions is deactivated."""
    product = brand_object_or_404(Product, product_id)
    in_use = product_in_use(product.id)
    if request.method == "GET":
        return render_template(
            "admin/confirm_delete.html",
            thing=product.name,
            in_use=in_use,
            back=url_for("admin.products"),
        )
    if in_use:
        product.is_active = False
        record("product_deactivated", product, sku=product.sku)
        flash(f"{product.name} has codes or history, so it was deactivated.", "success")
    else:
        record("product_deleted", product, sku=product.sku)
        db.session.delete(product)
        flash(f"Deleted {product.name}.", "success")
    db.session.commit()
    return redirect(url_for("admin.products"), code=303)
