"""Goals: save towards a wishlisted reward or a number of points, watch the progress, cancel."""

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user, login_required

from webapp.extensions import db
from webapp.loyalty.goals import (
    GoalError,
    active_goals,
    cancel_goal,
    set_custom_goal,
    set_goal_from_wishlist,
)
from webapp.portal import bp
from webapp.portal.forms import CustomGoalForm
from webapp.portal.wording import translated
from webapp.tenancy import current_brand


def _goals_panel(form, status=200, **context):
    """The goals panel alone for htmx, inside the goals page otherwise."""
    template = "portal/_goals.html" if request.htmx else "portal/goals.html"
    page = render_template(
        template, goals=active_goals(current_user.id, current_brand().id), form=form, **context
    )
    return page, status


def _done(message):
    """htmx: the refreshed panel with the message; otherwise 303 to the goals page."""
    if request.htmx:
        return _goals_panel(CustomGoalForm(formdata=None), notice=message)
    flash(message, "success")
    return redirect(url_for("portal.goals"), code=303)


@bp.get("/goals")
@login_required
def goals():
    """The member's goals with their progress, and a form for a custom one."""
    return _goals_panel(CustomGoalForm())


@bp.post("/goals", endpoint="set_custom_goal")
@login_required
def set_custom_goal_view():
    """Start saving towards a number of points the member chose."""
    form = CustomGoalForm()
    try:
        goal = set_custom_goal(
            current_user.id, form.target_points.data, form.name.data, current_brand().id
        )
    except GoalError as error:
        return _goals_panel(form, 422, problem=translated(error))
    db.session.commit()
    return _done(gettext("New goal: %(name)s.", name=goal.goal_name))


@bp.post("/goals/wishlist/<int:product_id>", endpoint="set_goal_from_wishlist")
@login_required
def set_goal_from_wishlist_view(product_id):
    """Make a wishlisted reward the goal; the goals page shows it."""
    try:
        goal = set_goal_from_wishlist(current_user.id, product_id, current_brand().id)
    except GoalError as error:
        flash(translated(error), "error")
        return redirect(url_for("portal.wishlist"), code=303)
    db.session.commit()
    flash(gettext("New goal: %(name)s.", name=goal.goal_name), "success")
    return redirect(url_for("portal.goals"), code=303)


@bp.post("/goals/<int:goal_id>/cancel", endpoint="cancel_goal")
@login_required
def cancel_goal_view(goal_id):
    """Stop tracking a goal."""
    try:
        cancel_goal(current_user.id, goal_id)
    except GoalError as error:
        return _goals_panel(CustomGoalForm(formdata=None), 422, problem=translated(error))
    db.session.commit()
    return _done(gettext("Goal cancelled."))
