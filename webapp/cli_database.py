"""`flask db partition` and `flask db orphans`: section 9.2 partitioning, and the check that
stands in for the foreign keys partitioned tables cannot have."""

import sys

import click

from webapp.partitioning import SCHEMES, PartitionError, apply, orphan_counts, plan


@click.command("partition")
@click.option("--dry-run", is_flag=True, help="Print the DDL; change nothing.")
@click.option(
    "--table", "tables", multiple=True, type=click.Choice(sorted(SCHEMES)), help="Default: both."
)
@click.option("--months-ahead", default=3, show_default=True, help="Empty months made ahead.")
def partition_command(dry_run, tables, months_ahead):
    """Partition user_action_log by month and customer_io_event_queue by month and status
    (MariaDB/MySQL); on a partitioned table, add the coming months' partitions."""
    try:
        statements = plan(tables or None, months_ahead=months_ahead)
    except PartitionError as error:
        raise click.ClickException(str(error)) from error
    for table, ddl in statements.items():
        click.echo(f"-- {table}: {'nothing to do' if not ddl else f'{len(ddl)} statements'}")
        for statement in ddl:
            click.echo(f"{statement};")
    if dry_run:
        click.echo("-- dry run: nothing changed")
        return
    apply(statements)
    click.echo("-- done; run `flask --app wsgi db orphans` daily (it replaces the foreign keys)")


@click.command("orphans")
def orphans_command():
    """Rows whose user, product or brand does not exist (exit status 1 when any)."""
    counts = orphan_counts()
    for reference, count in counts.items():
        click.echo(f"{reference}: {count}")
    if any(counts.values()):
        sys.exit(1)


def register(app):
    """Add the commands to Flask-Migrate's `db` group."""
    from flask_migrate.cli import db as db_group

    db_group.add_command(partition_command)
    db_group.add_command(orphans_command)
