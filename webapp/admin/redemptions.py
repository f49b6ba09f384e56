"""Redemptions: the queue, fulfil or cancel (htmx row swaps or plain POSTs), shipping CSV."""

from flask import (
    Response,
    flash,
    g,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)

from webapp.admin import redemption_desk
from webapp.admin.blueprint import bp
from webapp.admin.security import ALL_STAFF, allow, brand_object_or_404
from webapp.models import Redemption
from webapp.models.redemptions import REDEMPTION_STATUSES
from webapp.replica import reads_from_replica
from webapp.urls import requested_page


def _status_filter():
    """The `status` query argument when it names a status, else None (every status)."""
    status = request.args.get("status", "")
    return status if status in REDEMPTION_STATUSES else None


@bp.get("/redemptions")
@allow(*ALL_STAFF)
@reads_from_replica
def redemptions():
    """The queue: pending first, oldest first; filter by status."""
    status = _status_filter()
    page = redemption_desk.queue(g.staff.brand_id, status, requested_page())
    return render_template(
        "admin/redemptions.html", page=page, status=status, statuses=REDEMPTION_STATUSES
    )


@bp.post("/redemptions/<int:redemption_id>/fulfil")
@allow(*ALL_STAFF)
def redemption_fulfil(redemption_id):
    """Mark a pending redemption as sent, with a note."""
    redemption = brand_object_or_404(Redemption, redemption_id)
    return _answer_redemption_action(redemption, redemption_desk.fulfil, request.form.get("note"))


@bp.post("/redemptions/<int:redemption_id>/cancel")
@allow(*ALL_STAFF)
def redemption_cancel(redemption_id):
    """Cancel a pending redemption and refund its points (a reason is required)."""
    redemption = brand_object_or_404(Redemption, redemption_id)
    return _answer_redemption_action(redemption, redemption_desk.cancel, request.form.get("reason"))


def _answer_redemption_action(redemption, action, text):
    """Run the action; htmx gets the row back, a plain POST a 303 to the queue."""
    try:
        message, category = action(g.staff, redemption, text), "success"
    except redemption_desk.RedemptionError as problem:
        message, category = str(problem), "error"
    if request.htmx:
        row = redemption_desk.queue_row(redemption)
        return render_template(
            "admin/_redemption_row.html", row=row, message=message, category=category
        )
    flash(message, category)
    return redirect(url_for("admin.redemptions"), code=303)


@bp.get("/redemptions.csv")
@allow(*ALL_STAFF)
@reads_from_replica
def redemptions_csv():
    """The queue (same status filter) as CSV for shipping, streamed."""
    lines = redemption_desk.shipping_csv_lines(g.staff.brand_id, _status_filter())
    return Response(
        stream_with_context(lines),
        mimetype="text/csv",
        headers={"Content-Disposition": 'attachment; filename="redemptions.csv"'},
    )
