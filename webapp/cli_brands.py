"""`flask brands ...`: onboard brands, manage their hosts, rotate secrets, load regional rules."""

import json

import click
from sqlalchemy import select

from webapp.customerio.credentials import CredentialError, rotate_brand_secrets
from webapp.extensions import db
from webapp.loyalty import brand_directory
from webapp.loyalty.brand_directory import BrandError
from webapp.loyalty.jurisdiction_editing import RulesError, parse_rules, replace_rules
from webapp.models import Brand, MemberWallet


def _or_fail(action, *args, **kwargs):
    """Run a brand rule; its BrandError becomes a clear command-line error."""
    try:
        return action(*args, **kwargs)
    except BrandError as problem:
        db.session.rollback()
        raise click.ClickException(str(problem)) from None


@click.group("brands")
def brands_group():
    """Brands and their hosts."""


@brands_group.command("create")
@click.option("--slug", required=True)
@click.option("--name", required=True)
@click.option("--host", "hosts", multiple=True, help="A host the brand owns (repeatable).")
@click.option("--owner-email", default=None)
@click.option("--owner-password", default=None)
def create_command(slug, name, hosts, owner_email, owner_password):
    """Create a brand with its hosts and, optionally, its owner."""
    brand = _or_fail(brand_directory.create_brand, slug, name, hosts, owner_email, owner_password)
    db.session.commit()
    click.echo(f"Created brand {brand.slug} (id {brand.id}).")


def _brand_rows():
    members = dict(
        db.session.execute(
            select(MemberWallet.brand_id, db.func.count()).group_by(MemberWallet.brand_id)
        ).all()
    )
    return [
        {
            "id": brand.id,
            "slug": brand.slug,
            "name": brand.name,
            "active": bool(brand.is_active),
            "hosts": brand_directory.hosts_of(brand.id),
            "members": int(members.get(brand.id, 0)),
        }
        for brand in db.session.scalars(select(Brand).order_by(Brand.id))
    ]


@brands_group.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print the brands as JSON.")
def list_command(as_json):
    """Every brand with its hosts and member count."""
    rows = _brand_rows()
    if as_json:
        click.echo(json.dumps(rows))
        return
    for row in rows:
        state = "active" if row["active"] else "inactive"
        hosts = ", ".join(row["hosts"]) or "(no hosts)"
        click.echo(f"{row['slug']:<24} {state:<9} {row['members']:>7} members  {hosts}")


@brands_group.command("add-host")
@click.argument("slug")
@click.argument("host")
def add_host_command(slug, host):
    """Give HOST to the brand SLUG (refused when another brand owns it)."""
    brand = _or_fail(brand_directory.brand_by_slug, slug)
    added = _or_fail(brand_directory.add_host, brand, host)
    db.session.commit()
    click.echo(f"{added} now serves {brand.slug}.")


@brands_group.command("remove-host")
@click.argument("slug")
@click.argument("host")
def remove_host_command(slug, host):
    """Take HOST away from the brand SLUG."""
    brand = _or_fail(brand_directory.brand_by_slug, slug)
    _or_fail(brand_directory.remove_host, brand, host)
    db.session.commit()
    click.echo(f"{host} no longer serves {brand.slug}.")


@brands_group.command("deactivate")
@click.argument("slug")
def deactivate_command(slug):
    """Switch a brand off: its hosts stop serving it."""
    brand = _or_fail(brand_directory.deactivate_brand, slug)
    db.session.commit()
    click.echo(f"Deactivated {brand.slug}.")


@brands_group.command("rotate-secrets")
def rotate_secrets_command():
    """Re-encrypt every brand's Customer.io secrets with the first ENCRYPTION_KEY."""
    brands = db.session.scalars(select(Brand).order_by(Brand.id)).all()
    for brand in brands:
        try:
            rotate_brand_secrets(brand)
        except CredentialError as problem:
            db.session.rollback()
            raise click.ClickException(f"{brand.slug}: {problem}") from None
    db.session.commit()
    click.echo(f"Re-encrypted the secrets of {len(brands)} brands with the first key.")


@brands_group.command("load-rules")
@click.argument("slug")
@click.argument("rules_file", type=click.Path(exists=True, dir_okay=False))
def load_rules_command(slug, rules_file):
    """Replace the brand SLUG's regional rules with those of RULES_FILE (JSON)."""
    brand = _or_fail(brand_directory.brand_by_slug, slug)
    with open(rules_file, encoding="utf-8") as handle:
        text = handle.read()
    try:
        rules = parse_rules(text)
    except RulesError as problem:
        raise click.ClickException(f"{rules_file}: {problem}") from None
    replace_rules(brand.id, rules)
    db.session.commit()
    click.echo(f"Loaded {len(rules)} regional rules for {brand.slug}.")
