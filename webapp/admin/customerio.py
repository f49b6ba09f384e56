"""Customer.io: outbox counts, failed events and retries, the webhook log, credentials, a test."""

import json
from datetime import timedelta

from flask import flash, g, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import func, select
from wtforms import BooleanField, PasswordField, SelectField
from wtforms.validators import Length

from webapp.admin.blueprint import bp
from webapp.admin.security import (
    ALL_STAFF,
    OWNERS,
    PROGRAM_STAFF,
    allow,
    brand_object_or_404,
    record,
)
from webapp.config import TRACK_URLS
from webapp.customerio.credentials import store_brand_credentials
from webapp.deliveries.outbox import deliver_outbox, setting
from webapp.deliveries.sweep import retry_failed
from webapp.deliveries.webhook_batches import apply_stored_webhook
from webapp.events.outbox import record_event
from webapp.extensions import db
from webapp.jobs import enqueue
from webapp.models import Brand, CustomerIoEventQueue, CustomerIoWebhookLog
from webapp.models.events import OUTBOX_STATUSES
from webapp.timeutil import utcnow

LISTED_ROWS = 50
SECRETS = {
    "site_id": "customer_io_site_id",
    "api_key": "customer_io_api_key",
    "signing_key": "customer_io_webhook_signing_key",
    "token": "customer_io_webhook_token",
}


class CredentialsForm(FlaskForm):
    """Write-only workspace credentials: an empty field leaves the stored value alone."""

    site_id = PasswordField("Site ID", validators=[Length(max=100)])
    api_key = PasswordField("Track API key", validators=[Length(max=150)])
    region = SelectField("Region", choices=[(key, key.upper()) for key in TRACK_URLS])
    signing_key = PasswordField("Webhook signing key", validators=[Length(max=150)])
    token = PasswordField("Webhook bearer token", validators=[Length(max=150)])
    clear_site_id = BooleanField("Clear the site ID")
    clear_api_key = BooleanField("Clear the API key")
    clear_signing_key = BooleanField("Clear the signing key")
    clear_token = BooleanField("Clear the bearer token")

    def changes(self):
        """{name: new value} for store_brand_credentials ("" clears); empty fields omitted."""
        values = {}
        for name in SECRETS:
            if self[f"clear_{name}"].data:
                values[name] = ""
            elif (self[name].data or "").strip():
                values[name] = self[name].data.strip()
        return values


@bp.get("/customerio")
@allow(*ALL_STAFF)
def customerio():
    """Outbox counts by status, failed events, the webhook log and (owners) the credentials."""
    brand = db.session.get(Brand, g.staff.brand_id)
    form = CredentialsForm(region=brand.customer_io_region or "us")
    return _customerio_page(brand, form)


@bp.post("/customerio/events/<int:event_id>/retry")
@allow(*OWNERS)
def customerio_retry(event_id):
    """Put a failed outbox row back to pending and ask for delivery."""
    event = brand_object_or_404(CustomerIoEventQueue, event_id)
    if event.status == "failed":
        event.status, event.next_attempt_at = "pending", None
        event.retry_until = utcnow() + timedelta(seconds=setting("OUTBOX_RETRY_WINDOW_SECONDS"))
        record("customerio_event_retried", event, event_name=event.event_name)
        db.session.commit()
        enqueue(deliver_outbox, event.brand_id, queue="high")
        flash(f"Event #{event.id} will be sent again.", "success")
    else:
        flash(f"Event #{event.id} is {event.status}; only failed events are retried.", "error")
    if request.htmx:
        return render_template("admin/_customerio_event.html", event=event)
    return redirect(url_for("admin.customerio"), code=303)


@bp.post("/customerio/events/retry-failed")
@allow(*PROGRAM_STAFF)
def customerio_retry_failed():
    """Put every failed outbox row of this brand back to pending, with a fresh retry window."""
    record("customerio_failed_events_retried")
    count = retry_failed(g.staff.brand_id)
    if count:
        flash(f"{count:,} failed event{'' if count == 1 else 's'} will be sent again.", "success")
    else:
        flash("There are no failed events to retry.", "info")
    return redirect(url_for("admin.customerio"), code=303)


@bp.get("/customerio/webhooks/<int:log_id>")
@allow(*ALL_STAFF)
def customerio_webhook(log_id):
    """One stored webhook with its payload."""
    webhook = brand_object_or_404(CustomerIoWebhookLog, log_id)
    payload = json.dumps(webhook.payload, indent=2, sort_keys=True, ensure_ascii=False)
    return render_template("admin/customerio_webhook.html", webhook=webhook, payload=payload)


@bp.post("/customerio/webhooks/<int:log_id>/reprocess")
@allow(*OWNERS)
def customerio_reprocess(log_id):
    """Apply a failed webhook again."""
    webhook = brand_object_or_404(CustomerIoWebhookLog, log_id)
    if webhook.processed_successfully is False:
        webhook.processed_at = webhook.processed_successfully = webhook.error_message = None
        record("customerio_webhook_reprocessed", webhook, webhook_type=webhook.webhook_type)
        db.session.commit()
        enqueue(apply_stored_webhook, webhook.id)
        flash(f"Webhook #{webhook.id} will be applied again.", "success")
    else:
        flash(f"Webhook #{webhook.id} did not fail; there is nothing to reprocess.", "error")
    return redirect(url_for("admin.customerio_webhook", log_id=webhook.id), code=303)


@bp.post("/customerio/credentials")
@allow(*OWNERS)
def customerio_credentials():
    """Save the workspace credentials (never shown back) and record which ones changed."""
    brand = db.session.get(Brand, g.staff.brand_id)
    form = CredentialsForm()
    if not form.validate_on_submit():
        return _customerio_page(brand, form)
    changes = form.changes()
    store_brand_credentials(brand, **changes)
    changed = sorted(changes) + (["region"] if brand.customer_io_region != form.region.data else [])
    brand.customer_io_region = form.region.data
    record("customerio_credentials_changed", brand, changed=changed)
    db.session.commit()
    flash("Customer.io settings saved." if changed else "Nothing changed.", "success")
    return redirect(url_for("admin.customerio"), code=303)


@bp.post("/customerio/test-event")
@allow(*OWNERS)
def customerio_test_event():
    """Send a `test_event` for the signed-in staff member through the outbox."""
    record_event(current_user, "test_event", brand_id=g.staff.brand_id, context={"test": True})
    record("customerio_test_event", current_user)
    db.session.commit()
    flash(
        f"Test event sent for {current_user.email}. In Customer.io, open People, find "
        f"customer ID {current_user.id} and look for 'test_event' in their Activity.",
        "success",
    )
    return redirect(url_for("admin.customerio"), code=303)


def _customerio_page(brand, form):
    """The Customer.io page: credentials form, outbox counts, failed rows, recent webhooks."""
    brand_rows = CustomerIoEventQueue.brand_id == brand.id
    counts = dict.fromkeys(OUTBOX_STATUSES, 0)
    counts.update(
        db.session.execute(
            select(CustomerIoEventQueue.status, func.count())
            .where(brand_rows)
            .group_by(CustomerIoEventQueue.status)
        ).all()
    )
    failed = db.session.scalars(
        select(CustomerIoEventQueue)
        .where(brand_rows, CustomerIoEventQueue.status == "failed")
        .order_by(CustomerIoEventQueue.id.desc())
        .limit(LISTED_ROWS)
    )
    webhooks = db.session.scalars(
        select(CustomerIoWebhookLog)
        .where(CustomerIoWebhookLog.brand_id == brand.id)
        .order_by(CustomerIoWebhookLog.id.desc())
        .limit(LISTED_ROWS)
    )
    stored = {name: bool(getattr(brand, column)) for name, column in SECRETS.items()}
    return render_template(
        "admin/customerio.html",
        counts=counts,
        failed=list(failed),
        webhooks=list(webhooks),
        form=form,
        stored=stored,
    )
