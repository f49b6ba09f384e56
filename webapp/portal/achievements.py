"""The achievements page: badges earned, progress on the rest, hidden ones once unlocked."""

from flask import render_template
from flask_login import current_user, login_required

from webapp.loyalty.achievements import achievement_board
from webapp.portal import bp
from webapp.tenancy import current_brand


@bp.get("/achievements")
@login_required
def achievements():
    """The member's achievement board, earned ones first."""
    board = achievement_board(current_user.id, current_brand().id)
    return render_template(
        "portal/achievements.html",
        earned=[entry for entry in board if entry.unlocked],
        open_entries=[entry for entry in board if not entry.unlocked],
    )
