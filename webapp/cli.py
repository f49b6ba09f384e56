"""`flask` commands for operators: demo data, staff accounts, scan codes and their limits."""

import json
import sys

import click
from flask import current_app
from sqlalchemy import select

from webapp.extensions import db
from webapp.models import Brand, BrandStaff, Product, User
from webapp.models.staff import STAFF_ROLES


def _brand_or_fail(slug):
    brand = db.session.scalar(select(Brand).where(Brand.slug == slug))
    if brand is None:
        raise click.ClickException(f"No brand with slug {slug!r}.")
    return brand


@click.command("seed-demo")
@click.option("--json", "as_json", is_flag=True, help="Print only the demo credentials as JSON.")
@click.option(
    "--if-empty",
    is_flag=True,
    help="Load nothing when a brand already exists (the demo accounts are still printed).",
)
def seed_demo_command(as_json, if_empty):
    """Load the demo program (idempotent)."""
    from webapp.demo import database_is_empty, demo_summary, seed_demo

    if if_empty and not database_is_empty():
        click.echo("Database already has data; demo not loaded.", err=True)
        result = demo_summary()
        if result is None:
            return
    else:
        result = seed_demo()
    if as_json:
        click.echo(json.dumps(result))
        return
    click.echo(f"Demo brand: {result['brand']}")
    click.echo(f"Staff owner: {result['staff']['email']} / {result['staff']['password']}")
    click.echo(f"Consumer:    {result['consumer']['email']} / {result['consumer']['password']}")
    public_url = current_app.config["PUBLIC_URL"]
    click.echo("Unclaimed codes (open on a phone to claim):")
    for code in result["codes"]:
        click.echo(f"  {public_url}/s/{code}")


@click.command("create-staff")
@click.option("--brand", "brand_slug", required=True)
@click.option("--email", required=True)
@click.option("--role", type=click.Choice(STAFF_ROLES), required=True)
@click.option("--password", default=None, help="Prompted for when absent.")
def create_staff_command(brand_slug, email, role, password):
    """Give a user (created when needed) a staff role in a brand."""
    from webapp.loyalty.passwords import hash_password

    brand = _brand_or_fail(brand_slug)
    email = email.strip().lower()
    user = db.session.scalar(select(User).where(User.email == email))
    if user is None:
        if password is None:
            password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
        user = User(email=email, password_hash=hash_password(password), signup_brand_id=brand.id)
        db.session.add(user)
        db.session.flush()
    elif password:
        user.password_hash = hash_password(password)
    staff = db.session.scalar(select(BrandStaff).filter_by(user_id=user.id, brand_id=brand.id))
    if staff is None:
        db.session.add(BrandStaff(user_id=user.id, brand_id=brand.id, role=role))
    else:
        staff.role = role
    db.session.commit()
    click.echo(f"{email} is now {role} of {brand.slug}.")


@click.group("codes")
def codes_group():
    """Scan codes."""


@codes_group.command("generate")
@click.option("--brand", "brand_slug", required=True)
@click.option("--sku", required=True)
@click.option("--count", type=click.IntRange(1, 1_000_000), required=True)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, writable=True),
    default=None,
    help="CSV file to write (stdout when absent).",
)
def generate_codes_command(brand_slug, sku, count, out):
    """Generate COUNT single-use codes for a product; CSV `code,url`."""
    from webapp.code_batches import generate_codes
    from webapp.loyalty.codes import batch_csv_rows

    brand = _brand_or_fail(brand_slug)
    product = db.session.scalar(select(Product).filter_by(brand_id=brand.id, sku=sku))
    if product is None:
        raise click.ClickException(f"No product with SKU {sku!r} in {brand.slug}.")
    batch = generate_codes(brand.id, product.id, count)
    rows = batch_csv_rows(batch.id, current_app.config["PUBLIC_URL"])
    if out:
        with open(out, "w", encoding="utf-8", newline="") as handle:
            handle.writelines(rows)
        click.echo(f"Batch {batch.id}: {count} codes written to {out}.", err=True)
    else:
        sys.stdout.writelines(rows)


@codes_group.command("clear-bad-codes")
@click.option("--brand", "brand_slug", required=True)
@click.option("--email", default=None, help="The member whose wrong codes to forget.")
@click.option(
    "--ip", "ip_address", default=None, help="The IP address whose wrong codes to forget."
)
def clear_bad_codes_command(brand_slug, email, ip_address):
    """Lift a member's or an IP's wrong-code slowdown (support, after checking the person)."""
    from webapp.loyalty.scan_limits import clear_bad_codes

    brand = _brand_or_fail(brand_slug)
    if not email and not ip_address:
        raise click.UsageError("Give --email, --ip or both.")
    user_id = None
    if email:
        user = db.session.scalar(select(User).where(User.email == email.strip().lower()))
        if user is None:
            raise click.ClickException(f"No account with email {email!r}.")
        user_id = user.id
    clear_bad_codes(brand.id, user_id=user_id, ip_address=ip_address)
    click.echo(f"Wrong codes forgotten at {brand.slug}.")


@click.group("archive")
def archive_group():
    """Old rows into the archive tables."""


@archive_group.command("run")
@click.option("--dry-run", is_flag=True, help="Only count what would move.")
def archive_run_command(dry_run):
    """Move action logs older than a year and webhook logs older than six months."""
    from webapp.archive import run_archive

    for table, rows in run_archive(dry_run=dry_run).items():
        verb = "would move" if dry_run else "moved"
        click.echo(f"{table}: {verb} {rows} rows")


@click.group("outbox")
def outbox_group():
    """The Customer.io outbox."""


@outbox_group.command("status")
def outbox_status_command():
    """Rows by status and whether Customer.io is configured."""
    from webapp.deliveries.sweep import outbox_status

    status = outbox_status()
    if not status["configured"]:
        click.echo(
            "Customer.io is not configured: events stay pending. Set CUSTOMERIO_SITE_ID and "
            "CUSTOMERIO_API_KEY, or a brand's own credentials."
        )
    for name, count in status["counts"].items():
        click.echo(f"{name:<11}{count}")
    if status["oldest_pending_seconds"] is not None:
        click.echo(f"oldest pending: {status['oldest_pending_seconds']} s")


@outbox_group.command("sweep")
def outbox_sweep_command():
    """Reclaim stale rows and enqueue delivery of everything due."""
    from webapp.deliveries.sweep import sweep_outbox

    summary = sweep_outbox()
    click.echo(
        f"reclaimed {summary['reclaimed']} stale rows; delivery enqueued for "
        f"{summary['workspaces']} workspaces; {summary['webhooks']} webhooks retried."
    )


@outbox_group.command("retry-failed")
@click.option("--brand", "brand_slug", default=None, help="Only this brand's workspace.")
def outbox_retry_failed_command(brand_slug):
    """Put failed rows back to pending with a fresh retry window and enqueue their delivery."""
    from webapp.deliveries.sweep import retry_failed

    count = retry_failed(_brand_or_fail(brand_slug).id) if brand_slug else retry_failed()
    click.echo(f"{count} failed rows will be sent again.")


def register(app):
    """Attach the commands to the app's CLI."""
    from webapp import cli_database
    from webapp.cli_brands import brands_group
    from webapp.cli_program import program_group

    cli_database.register(app)

    commands = (
        seed_demo_command,
        create_staff_command,
        codes_group,
        archive_group,
        outbox_group,
        brands_group,
        program_group,
    )
    for command in commands:
        app.cli.add_command(command)
