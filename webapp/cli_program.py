"""`flask --app wsgi program run-daily`: a brand's daily program run, by hand."""

import contextlib
import sys

import click
from sqlalchemy import select

from webapp.extensions import db
from webapp.models import Brand
from webapp.program_daily import program_daily


@click.group("program")
def program_group():
    """The loyalty program's daily work (expiry, tiers, birthdays)."""


@program_group.command("run-daily")
@click.option("--brand", "brand_slug", default=None, help="One brand's slug (default: all active).")
@click.option(
    "--as-of",
    type=click.DateTime(formats=["%Y-%m-%d"]),
    default=None,
    help="The day to run, YYYY-MM-DD (default: today at each brand).",
)
@click.option(
    "--force", is_flag=True, help="Run a day that has already run (changes nothing done)."
)
def run_daily_command(brand_slug, as_of, force):
    """Run the day's expiry, tier and birthday work for each brand, once per day."""
    query = select(Brand).order_by(Brand.id)
    if brand_slug:
        query = query.where(Brand.slug == brand_slug)
    else:
        query = query.where(Brand.is_active.is_not(False))
    brands = db.session.scalars(query).all()
    if brand_slug and not brands:
        raise click.ClickException(f"No brand with slug {brand_slug!r}.")
    day = as_of.date() if as_of else None
    for brand in brands:
        slug = brand.slug
        with contextlib.ExitStack() as bars:
            run = program_daily(brand.id, day, progress=_bar(bars, slug), force=force)
        if run.skipped:
            click.echo(f"{slug} {run.day}: skipped, {run.skipped}")
        else:
            steps = (
                ", ".join(f"{name} {count}" for name, count in run.changed.items()) or "no steps"
            )
            click.echo(f"{slug} {run.day}: {run.total} changes ({steps})")


def _bar(bars, label):
    """A `progress(done, total)` that draws a bar on stderr once the run knows its total."""
    shown = []

    def progress(done, total):
        if not shown:
            bar = click.progressbar(length=total, label=label, file=sys.stderr)
            shown.append(bars.enter_context(bar))
        shown[0].update(done - shown[0].pos)

    return progress
