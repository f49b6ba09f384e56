"""The dashboard: the program at a glance, charts drawn as SVG on the server."""

from flask import g, render_template

from webapp.admin import stats
from webapp.admin.blueprint import bp
from webapp.admin.security import ALL_STAFF, allow
from webapp.replica import reads_from_replica


@bp.get("/")
@allow(*ALL_STAFF)
@reads_from_replica
def dashboard():
    """Scans, sign-ups, points, products, ranks, segments and delivery health."""
    return render_template("admin/dashboard.html", stats=stats.summary(g.staff.brand_id))
