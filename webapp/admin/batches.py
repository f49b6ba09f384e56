"""Code batches: generate in the background with live progress, CSV, QR sheet, void."""

import segno
from flask import (
    Response,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from sqlalchemy import func, select

from webapp.admin.blueprint import bp
from webapp.admin.forms import BatchForm
from webapp.admin.jobs import generate_batch_codes
from webapp.admin.security import PROGRAM_STAFF, allow, brand_object_or_404, record
from webapp.code_batches import reverse_batch_points
from webapp.extensions import db
from webapp.jobs import enqueue
from webapp.loyalty.codes import batch_csv_rows, claim_url, create_batch, void_batch_codes
from webapp.loyalty.recalls import recall_summary, request_reversal, reversal_totals
from webapp.models import CodeBatch, Product, ScanCode
from webapp.pagination import paginate
from webapp.urls import requested_page

SHEET_PAGE = 60


def claim_counts(batch_id):
    """(claimed, unclaimed) codes of a batch."""
    total, claimed = db.session.execute(
        select(func.count(), func.count(ScanCode.claimed_by_user_id)).where(
            ScanCode.batch_id == batch_id
        )
    ).one()
    return int(claimed), int(total) - int(claimed)


def qr_data_uri(url):
    """A QR code for `url` as a PNG data URI (segno, 1 bit per module, crisp when printed)."""
    return segno.make(url, error="m").png_data_uri(scale=4, border=2)


@bp.route("/products/<int:product_id>/batches", methods=["GET", "POST"])
@allow(*PROGRAM_STAFF)
def product_batches(product_id):
    """A product's code batches, and a form to generate a new one."""
    product = brand_object_or_404(Product, product_id)
    form = BatchForm()
    if form.validate_on_submit():
        batch = create_batch(g.staff.brand_id, product.id, form.quantity.data, g.staff.user_id)
        record("batch_created", batch, product_id=product.id, quantity=batch.quantity)
        db.session.commit()
        enqueue(generate_batch_codes, batch.id, queue="low", job_timeout=3600)
        if request.htmx:
            db.session.refresh(batch)
            return render_template(
                "admin/_batch_progress.html", batch=batch, claimed=0, unclaimed=batch.quantity
            )
        return redirect(url_for("admin.batch", batch_id=batch.id), code=303)
    batches = db.session.scalars(
        select(CodeBatch).where(CodeBatch.product_id == product.id).order_by(CodeBatch.id.desc())
    )
    return render_template("admin/batches.html", product=product, form=form, batches=list(batches))


@bp.get("/batches/<int:batch_id>")
@allow(*PROGRAM_STAFF)
def batch(batch_id):
    """A batch's page; to htmx, the self-refreshing progress component alone."""
    batch = brand_object_or_404(CodeBatch, batch_id)
    db.session.refresh(batch)
    claimed, unclaimed = claim_counts(batch.id) if batch.status == "done" else (0, 0)
    context = {"batch": batch, "claimed": claimed, "unclaimed": unclaimed}
    if batch.points_reversal_requested_at is not None:
        context["reversal"] = reversal_totals(batch)
    if request.htmx:
        return render_template("admin/_batch_progress.html", **context)
    product = db.session.get(Product, batch.product_id)
    return render_template("admin/batch.html", product=product, **context)


@bp.get("/batches/<int:batch_id>/codes.csv")
@allow(*PROGRAM_STAFF)
def batch_csv(batch_id):
    """The batch's codes as CSV `code,url`, streamed."""
    batch = brand_object_or_404(CodeBatch, batch_id)
    rows = batch_csv_rows(batch.id, current_app.config["PUBLIC_URL"])
    return Response(
        stream_with_context(rows),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="batch-{batch.id}.csv"'},
    )


@bp.get("/batches/<int:batch_id>/sheet")
@allow(*PROGRAM_STAFF)
def batch_sheet(batch_id):
    """A printable page of QR codes, SHEET_PAGE per page; each encodes PUBLIC_URL/s/CODE."""
    batch = brand_object_or_404(CodeBatch, batch_id)
    query = select(ScanCode.code).where(ScanCode.batch_id == batch.id).order_by(ScanCode.id)
    page = paginate(query, requested_page(), SHEET_PAGE, scalars=True)
    public_url = current_app.config["PUBLIC_URL"]
    items = [(code, claim_url(public_url, code)) for code in page.rows]
    return render_template(
        "admin/sheet.html",
        batch=batch,
        page=page,
        items=[(code, url, qr_data_uri(url)) for code, url in items],
    )


@bp.post("/batches/<int:batch_id>/void")
@allow(*PROGRAM_STAFF)
def batch_void(batch_id):
    """Void a batch and its unclaimed codes (claimed codes keep their history)."""
    batch = brand_object_or_404(CodeBatch, batch_id)
    if batch.status in ("pending", "running"):
        flash("Wait for the batch to finish before voiding it.", "error")
    elif batch.voided_at is None:
        voided = void_batch_codes(batch.id)
        record("batch_voided", batch, codes_voided=voided)
        db.session.commit()
        flash(f"Batch {batch.id} is void: {voided:,} unclaimed codes no longer work.", "success")
    return redirect(url_for("admin.batch", batch_id=batch.id), code=303)


@bp.route("/batches/<int:batch_id>/recall", methods=["GET", "POST"])
@allow(*PROGRAM_STAFF)
def batch_recall(batch_id):
    """Void a batch and take back the points its claimed codes earned: a confirmation screen
    with the members and points it touches, then (POST) the request, once, and the job."""
    batch = brand_object_or_404(CodeBatch, batch_id)
    if batch.status in ("pending", "running"):
        flash("Wait for the batch to finish before voiding it.", "error")
        return redirect(url_for("admin.batch", batch_id=batch.id), code=303)
    if batch.points_reversal_requested_at is not None:
        flash("The points of this batch are already being taken back.", "error")
        return redirect(url_for("admin.batch", batch_id=batch.id), code=303)
    if request.method == "GET":
        product = db.session.get(Product, batch.product_id)
        summary = recall_summary(batch)
        return render_template(
            "admin/batch_recall.html", batch=batch, product=product, **vars(summary)
        )
    # The conditional UPDATE locks the batch row: a second click waits, then marks nothing.
    if not request_reversal(batch.id):
        db.session.rollback()
        flash("The points of this batch are already being taken back.", "error")
        return redirect(url_for("admin.batch", batch_id=batch.id), code=303)
    db.session.refresh(batch)
    if batch.voided_at is None:
        voided = void_batch_codes(batch.id)
        record("batch_voided", batch, codes_voided=voided)
    summary = recall_summary(batch)
    record(
        "batch_points_reversal_requested",
        batch,
        members=summary.members,
        points=summary.points,
    )
    db.session.commit()
    enqueue(reverse_batch_points, batch.id, queue="low", job_timeout=3600)
    flash(
        f"Batch {batch.id} is void; taking back {summary.points:,} points from "
        f"{summary.members:,} members.",
        "success",
    )
    return redirect(url_for("admin.batch", batch_id=batch.id), code=303)
