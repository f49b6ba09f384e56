"""Regions (owners and managers): the brand's rules per region, one by one or the shipped
example set (examples: confirm with counsel)."""

from flask import abort, flash, g, redirect, render_template, url_for

from webapp.admin.blueprint import bp
from webapp.admin.compliance_forms import FLAG_LABELS, RuleForm
from webapp.admin.security import PROGRAM_STAFF, allow, brand_object_or_404, record
from webapp.extensions import db
from webapp.loyalty.jurisdiction_editing import (
    EXAMPLES_NOTICE,
    RulesError,
    check_rule,
    example_rules,
    remove_rule,
    replace_rules,
    save_rule,
)
from webapp.models import JurisdictionRule


def _rules():
    return db.session.scalars(
        db.select(JurisdictionRule)
        .where(JurisdictionRule.brand_id == g.staff.brand_id)
        .order_by(JurisdictionRule.region)
    ).all()


def _page(form, status=200):
    return render_template(
        "admin/regions.html",
        rules=_rules(),
        form=form,
        flags=FLAG_LABELS,
        notice=EXAMPLES_NOTICE,
    ), status


def _save(form, rule_id=None):
    """Check and save the form's rule; True when saved (the error is on the form if not)."""
    try:
        rule = check_rule(form.rule_values())
        row = save_rule(g.staff.brand_id, rule, rule_id)
    except RulesError as problem:
        db.session.rollback()
        form.region.errors = [*form.region.errors, str(problem)]
        return False
    record("jurisdiction_rule_saved", row, **rule.model_dump())
    db.session.commit()
    flash(f"Rule for {row.name} ({row.region}) saved.", "success")
    return True


@bp.route("/regions", methods=["GET", "POST"])
@allow(*PROGRAM_STAFF)
def regions():
    """The brand's regional rules, and a form to add one."""
    form = RuleForm()
    if form.validate_on_submit():
        if _save(form):
            return redirect(url_for("admin.regions"), code=303)
        return _page(form, 422)
    return _page(form)


@bp.route("/regions/<int:rule_id>", methods=["GET", "POST"])
@allow(*PROGRAM_STAFF)
def region_edit(rule_id):
    """Change one region's rule."""
    row = brand_object_or_404(JurisdictionRule, rule_id)
    form = RuleForm(obj=row)
    if form.validate_on_submit() and _save(form, row.id):
        return redirect(url_for("admin.regions"), code=303)
    return render_template("admin/region_edit.html", form=form, rule=row)


@bp.post("/regions/<int:rule_id>/delete")
@allow(*PROGRAM_STAFF)
def region_delete(rule_id):
    """Remove one region from the program."""
    row = brand_object_or_404(JurisdictionRule, rule_id)
    region = remove_rule(g.staff.brand_id, row.id)
    if region is None:
        abort(404)
    record("jurisdiction_rule_deleted", None, region=region)
    db.session.commit()
    flash(f"{region} removed: members there are outside the program now.", "success")
    return redirect(url_for("admin.regions"), code=303)


@bp.post("/regions/examples")
@allow(*PROGRAM_STAFF)
def region_examples():
    """Replace the brand's rules with the shipped example set."""
    rules = example_rules()
    replace_rules(g.staff.brand_id, rules)
    record("jurisdiction_rules_loaded", None, source="examples", regions=len(rules))
    db.session.commit()
    flash(f"Loaded {len(rules)} example rules. {EXAMPLES_NOTICE}.", "success")
    return redirect(url_for("admin.regions"), code=303)
