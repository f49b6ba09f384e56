"""Achievements: the brand's own (and the global ones, read-only), create, edit, preview, delete."""

from flask import flash, g, redirect, render_template, request, url_for
from pydantic import ValidationError
from sqlalchemy import exists, or_, select

from webapp.admin.achievement_forms import NEW_PARTS, AchievementForm
from webapp.admin.achievement_preview import qualifying_members
from webapp.admin.blueprint import bp
from webapp.admin.security import PROGRAM_STAFF, allow, brand_object_or_404, record
from webapp.extensions import db
from webapp.loyalty.achievement_catalog import invalidate_achievements
from webapp.loyalty.achievement_schemas import (
    Criteria,
    friendly_errors,
    validate_achievement_config,
)
from webapp.loyalty.achievements import AchievementConfigError, create_achievement
from webapp.models import AchievementConfig, UserAchievement


@bp.get("/achievements")
@allow(*PROGRAM_STAFF)
def achievements():
    """The brand's achievements, then the global ones every brand offers."""
    rows = db.session.scalars(
        select(AchievementConfig)
        .where(
            or_(
                AchievementConfig.brand_id == g.staff.brand_id,
                AchievementConfig.brand_id.is_(None),
            )
        )
        .order_by(AchievementConfig.brand_id.is_(None), AchievementConfig.name)
    )
    return render_template("admin/achievements.html", achievements=list(rows))


@bp.route("/achievements/new", methods=["GET", "POST"])
@allow(*PROGRAM_STAFF)
def achievement_new():
    """Create an achievement from the part forms or raw JSON."""
    form = AchievementForm()
    if not form.is_submitted():
        form.mode.data = request.args.get("mode", "fields")
        form.fill(NEW_PARTS)
    elif (config := _create(form)) is not None:
        record("achievement_created", config, key=config.achievement_key)
        db.session.commit()
        flash(f"Created {config.name}.", "success")
        return redirect(url_for("admin.achievements"), code=303)
    return render_template("admin/achievement_form.html", form=form, achievement=None)


@bp.route("/achievements/<int:achievement_id>/edit", methods=["GET", "POST"])
@allow(*PROGRAM_STAFF)
def achievement_edit(achievement_id):
    """Edit one of the brand's achievements (its key stays: members' history refers to it)."""
    config = brand_object_or_404(AchievementConfig, achievement_id)
    form = AchievementForm(data=identity(config))
    form.achievement_key.data = config.achievement_key
    if not form.is_submitted():
        form.mode.data = request.args.get("mode", "fields")
        form.fill(stored_parts(config))
    elif _update(config, form):
        flash(f"Saved {config.name}.", "success")
        return redirect(url_for("admin.achievements"), code=303)
    return render_template("admin/achievement_form.html", form=form, achievement=config)


@bp.post("/achievements/preview")
@allow(*PROGRAM_STAFF)
def achievement_preview():
    """The draft criteria's count of qualifying members (the form's htmx component)."""
    criteria, problems = draft_criteria(AchievementForm())
    count = qualifying_members(g.staff.brand_id, criteria) if criteria else None
    return render_template(
        "admin/_achievement_preview.html", count=count, problems=problems, checked=True
    )


@bp.route("/achievements/<int:achievement_id>/delete", methods=["GET", "POST"])
@allow(*PROGRAM_STAFF)
def achievement_delete(achievement_id):
    """Confirm, then delete; an achievement members have progress on is deactivated."""
    config = brand_object_or_404(AchievementConfig, achievement_id)
    in_use = db.session.scalar(
        select(exists().where(UserAchievement.achievement_config_id == config.id))
    )
    if request.method == "GET":
        return render_template("admin/achievement_delete.html", achievement=config, in_use=in_use)
    if in_use:
        config.is_active = False
        config.visibility = {**(config.visibility or {}), "active": False}
        record("achievement_deactivated", config, key=config.achievement_key)
        flash(f"Members have {config.name}, so it was deactivated.", "success")
    else:
        record("achievement_deleted", config, key=config.achievement_key)
        db.session.delete(config)
        flash(f"Deleted {config.name}.", "success")
    db.session.commit()
    invalidate_achievements(g.staff.brand_id)
    return redirect(url_for("admin.achievements"), code=303)


def identity(config):
    """The row's own columns as form data."""
    return {
        "name": config.name,
        "description": config.description,
        "achievement_type": config.achievement_type,
    }


def stored_parts(config):
    """The row's JSON parts by the names the schemas use."""
    return {
        "criteria": config.criteria,
        "rewards": config.rewards,
        "visibility": config.visibility,
        "ai_enhancement": config.ai_enhancement,
        "metadata": config.meta,
    }


def draft_criteria(form):
    """(the form's criteria, {}) when they are valid, else (None, {field: message})."""
    parts = form.parts()
    if parts is None:
        return None, {"criteria": "The JSON of a part is not valid."}
    criteria = parts.get("criteria") or {}
    if isinstance(criteria, dict):
        criteria = {"metric": form.achievement_type.data, **criteria}
    try:
        return Criteria.model_validate(criteria), {}
    except ValidationError as error:
        return None, friendly_errors(error)


def _create(form):
    """The new achievement, or None with the messages added to the form."""
    identity_ok, parts = form.validate(), form.parts()
    if parts is None:
        return None
    if not identity_ok:
        form.show_errors(validate_achievement_config(_config(form, parts))[1])
        return None
    try:
        return create_achievement(
            brand_id=g.staff.brand_id,
            achievement_key=form.achievement_key.data.strip(),
            name=form.name.data,
            achievement_type=form.achievement_type.data,
            description=form.description.data or None,
            **parts,
        )
    except AchievementConfigError as error:
        form.show_errors(error.errors)
        return None


def _update(config, form):
    """Save the form onto the row; False (messages on the form) when something is wrong."""
    identity_ok, parts = form.validate(), form.parts()
    if parts is None:
        return False
    cleaned, errors = validate_achievement_config(_config(form, parts))
    form.show_errors(errors)
    if errors or not identity_ok:
        return False
    config.name = form.name.data.strip()
    config.description = form.description.data or None
    config.achievement_type = cleaned["achievement_type"]
    config.criteria, config.rewards = cleaned["criteria"], cleaned["rewards"]
    config.visibility, config.ai_enhancement = cleaned["visibility"], cleaned["ai_enhancement"]
    config.meta = cleaned["metadata"]
    config.is_active = cleaned["visibility"].get("active", True)
    record("achievement_updated", config, key=config.achievement_key)
    db.session.commit()
    invalidate_achievements(g.staff.brand_id)
    return True


def _config(form, parts):
    return {"achievement_type": form.achievement_type.data, **parts}
