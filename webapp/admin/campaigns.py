"""Campaigns: list, create, edit, end, with a preview of what members earn under each one."""

from datetime import UTC

from flask import abort, flash, g, redirect, render_template, request, url_for
from sqlalchemy import select

from webapp.admin.blueprint import bp
from webapp.admin.campaign_forms import TARGET_FIELDS, CampaignForm
from webapp.admin.security import PROGRAM_STAFF, allow, brand_object_or_404, record
from webapp.brand_settings import settings_of
from webapp.extensions import db
from webapp.loyalty.campaigns import preview, rule_of
from webapp.loyalty.program_day import brand_zone
from webapp.loyalty.ranks import ladder
from webapp.models import Brand, Campaign, Product
from webapp.models.economy import STRAIN_TYPES
from webapp.timeutil import utcnow

PREVIEW_PRODUCTS = 20


def _brand():
    return db.session.get(Brand, g.staff.brand_id)


def to_utc(brand, local):
    """A naive datetime on the brand's clock as naive UTC."""
    aware = local.replace(tzinfo=brand_zone(brand))
    return aware.astimezone(UTC).replace(tzinfo=None)


def to_local(brand, moment):
    """A naive UTC datetime as a naive datetime on the brand's clock."""
    return moment.replace(tzinfo=UTC).astimezone(brand_zone(brand)).replace(tzinfo=None)


def status_of(campaign, now):
    """ "Scheduled", "On" or "Ended" at `now`."""
    if now < campaign.starts_at:
        return "Scheduled"
    return "On" if now < campaign.ends_at else "Ended"


@bp.get("/campaigns")
@allow(*PROGRAM_STAFF)
def campaigns():
    """The brand's campaigns, latest first."""
    brand = _brand()
    rows = db.session.scalars(
        select(Campaign)
        .where(Campaign.brand_id == brand.id)
        .order_by(Campaign.starts_at.desc(), Campaign.id.desc())
    ).all()
    now = utcnow()
    listed = [(row, status_of(row, now), to_local(brand, row.starts_at),
               to_local(brand, row.ends_at)) for row in rows]  # fmt: skip
    return render_template("admin/campaigns.html", campaigns=listed)


@bp.route("/campaigns/new", methods=["GET", "POST"])
@allow(*PROGRAM_STAFF)
def campaign_new():
    """Add a campaign."""
    return _save(Campaign(brand_id=g.staff.brand_id, spent_points=0))


@bp.route("/campaigns/<int:campaign_id>/edit", methods=["GET", "POST"])
@allow(*PROGRAM_STAFF)
def campaign_edit(campaign_id):
    """Edit a campaign, with the preview of what members earn under it."""
    return _save(brand_object_or_404(Campaign, campaign_id))


@bp.post("/campaigns/<int:campaign_id>/end")
@allow(*PROGRAM_STAFF)
def campaign_end(campaign_id):
    """End a campaign now (a scheduled one never starts)."""
    campaign = brand_object_or_404(Campaign, campaign_id)
    now = utcnow()
    if campaign.ends_at <= now:
        flash(f"{campaign.name} had already ended.", "info")
        return redirect(url_for("admin.campaigns"), code=303)
    campaign.ends_at = now
    if campaign.starts_at > now:
        campaign.starts_at = now
    record("campaign_ended", campaign, name=campaign.name)
    db.session.commit()
    flash(f"Ended {campaign.name}.", "success")
    return redirect(url_for("admin.campaigns"), code=303)


def _unknown_targets(brand_id, targets):
    """Errors for target values no product or rank of the brand has: {kind: message}."""
    products = db.session.scalars(select(Product).where(Product.brand_id == brand_id)).all()
    known = {
        "forms": {p.product_form for p in products},
        "lines": {p.product_line for p in products},
        "strain_types": set(STRAIN_TYPES),
        "tags": {tag for p in products for tag in (p.tags or ())},
        "skus": {p.sku for p in products},
        "ranks": {step.key for step in ladder(brand_id)},
    }
    errors = {}
    for kind, values in targets.items():
        if kind not in known:
            continue
        missing = [value for value in values if value not in known[kind]]
        if missing:
            noun = TARGET_FIELDS[kind].lower()
            errors[kind] = f"No {noun} of this brand is called {', '.join(missing)}."
    return errors


def _fill_form(form, campaign, brand):
    for kind in TARGET_FIELDS:
        getattr(form, kind).data = ", ".join((campaign.targets or {}).get(kind) or [])
    if campaign.starts_at:
        form.starts_at.data = to_local(brand, campaign.starts_at)
        form.ends_at.data = to_local(brand, campaign.ends_at)
    form.cap_kind.data = campaign.cap_kind or ""
    form.cap_period.data = campaign.cap_period or "campaign"


def _apply(form, campaign, brand, targets):
    campaign.name = form.name.data.strip()
    campaign.starts_at = to_utc(brand, form.starts_at.data)
    campaign.ends_at = to_utc(brand, form.ends_at.data)
    campaign.multiplier = form.multiplier.data
    campaign.bonus_points = form.bonus_points.data
    campaign.targets = targets
    campaign.cap_kind = form.cap_kind.data or None
    campaign.cap_period = form.cap_period.data if form.cap_kind.data else None
    campaign.cap_amount = form.cap_amount.data
    campaign.budget_points = form.budget_points.data


def _save(campaign):
    brand = _brand()
    form = CampaignForm(obj=campaign)
    if not form.is_submitted():
        _fill_form(form, campaign, brand)
    if form.validate_on_submit():
        targets = form.targets()
        problems = _unknown_targets(brand.id, targets)
        budget_too_small = (
            form.budget_points.data is not None
            and campaign.spent_points
            and form.budget_points.data < campaign.spent_points
        )
        if budget_too_small:
            problems["budget_points"] = (
                f"This campaign already paid {campaign.spent_points:,} points: "
                "the budget cannot be less."
            )
        for name, message in problems.items():
            getattr(form, name).errors.append(message)
        if not problems:
            _apply(form, campaign, brand, targets)
            db.session.add(campaign)
            db.session.flush()
            record("campaign_saved", campaign, name=campaign.name, targets=targets)
            db.session.commit()
            flash("Saved.", "success")
            return redirect(url_for("admin.campaign_edit", campaign_id=campaign.id), code=303)
    return render_template(
        "admin/campaign_form.html",
        form=form,
        campaign=campaign,
        previews=_previews(campaign) if campaign.id else [],
        preview_product=_preview_product(campaign),
        products=_brand_products(brand.id),
        timezone=settings_of(brand).timezone,
    )


def _brand_products(brand_id):
    return db.session.scalars(
        select(Product)
        .where(Product.brand_id == brand_id, Product.is_active.is_not(False))
        .order_by(Product.name)
        .limit(PREVIEW_PRODUCTS)
    ).all()


def _preview_product(campaign):
    """The product the preview is for: ?product=<id> of this brand, else the first targeted."""
    if not campaign.id:
        return None
    product_id = request.args.get("product", type=int)
    if product_id is not None:
        product = db.session.get(Product, product_id)
        if product is None or product.brand_id != campaign.brand_id:
            abort(404)
        return product
    rule = rule_of(campaign)
    candidates = _brand_products(campaign.brand_id)
    return next((p for p in candidates if rule.fits_product(p)), None) or next(
        iter(candidates), None
    )


def _previews(campaign):
    """(rank name, Preview) for each rank of the ladder: "a Silver member scanning X now
    earns N", by the scan's own arithmetic."""
    product = _preview_product(campaign)
    if product is None:
        return []
    rule = rule_of(campaign)
    return [(step.name, preview(rule, product, step)) for step in ladder(campaign.brand_id)]
