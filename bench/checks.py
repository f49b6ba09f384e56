"""What must hold after a benchmark run, read from the database (inside an app context).

Each check is one aggregate query, so it stays quick with a million ledger rows.
"""

import time

from sqlalchemy import bindparam, text

from webapp.extensions import db

EARNED = "points_awarded > 0 AND action_type <> 'points_refunded'"  # what lifetime points count


def user_ids_of(emails):
    """The ids of the accounts with `emails`, in the same order."""
    rows = db.session.execute(
        text("SELECT email, id FROM users WHERE email IN :emails").bindparams(
            bindparam("emails", expanding=True)
        ),
        {"emails": list(emails)},
    ).all()
    by_email = dict(rows)
    return [by_email[email] for email in emails]


def marks():
    """Where the tables stood before the load: ids to count new rows from."""
    scalar = db.session.scalar
    return {
        "ledger": scalar(text("SELECT COALESCE(MAX(id), 0) FROM user_action_log")),
        "outbox": scalar(text("SELECT COALESCE(MAX(id), 0) FROM customer_io_event_queue")),
        "webhooks": scalar(text("SELECT COALESCE(MAX(id), 0) FROM customer_io_webhook_log")),
        "claimed": scalar(
            text("SELECT COUNT(*) FROM scan_codes WHERE claimed_by_user_id IS NOT NULL")
        ),
    }


def _wait(query, timeout):
    """Seconds until `query` counts 0 (polled), or None at the timeout."""
    started = time.perf_counter()
    while time.perf_counter() - started < timeout:
        db.session.commit()  # a fresh read each time
        if not db.session.scalar(text(query)):
            return time.perf_counter() - started
        time.sleep(0.1)
    return None


def wait_webhooks_applied(timeout):
    """Seconds until every stored webhook is applied."""
    return _wait("SELECT COUNT(*) FROM customer_io_webhook_log WHERE processed_at IS NULL", timeout)


def wait_outbox_delivered(timeout):
    """Seconds until no outbox row is waiting or being sent."""
    return _wait(
        "SELECT COUNT(*) FROM customer_io_event_queue WHERE status IN ('pending', 'processing')",
        timeout,
    )


def ledger_problems():
    """Every wallet is the sum of its ledger rows, never negative; every person's totals are
    the sums of their wallets."""
    problems = []
    wallets_off = db.session.scalar(
        text(
            f"""
            SELECT COUNT(*) FROM member_wallets w LEFT JOIN (
                SELECT user_id, brand_id, SUM(points_awarded) AS balance,
                       SUM(CASE WHEN {EARNED} THEN points_awarded ELSE 0 END) AS earned
                FROM user_action_log GROUP BY user_id, brand_id
            ) l ON l.user_id = w.user_id AND l.brand_id = w.brand_id
            WHERE w.points_balance <> COALESCE(l.balance, 0)
               OR w.lifetime_points <> COALESCE(l.earned, 0)
               OR w.points_balance < 0
            """
        )
    )
    if wallets_off:
        problems.append(f"{wallets_off} wallets are not the sum of their ledger rows")
    people_off = db.session.scalar(
        text(
            """
            SELECT COUNT(*) FROM users u JOIN (
                SELECT user_id, SUM(points_balance) AS balance, SUM(lifetime_points) AS lifetime
                FROM member_wallets GROUP BY user_id
            ) w ON w.user_id = u.id
            WHERE u.points_balance <> w.balance OR u.lifetime_points <> w.lifetime
            """
        )
    )
    if people_off:
        problems.append(f"{people_off} people's totals are not the sums of their wallets")
    return problems


def scan_problems(before, scans):
    """Every successful scan: exactly one new ledger row naming its code, and that code
    claimed by the same member; nothing else claimed."""
    rows, codes, matched = db.session.execute(
        text(
            """
            SELECT COUNT(*), COUNT(DISTINCT JSON_UNQUOTE(JSON_EXTRACT(l.action_data, '$.code'))),
                   COALESCE(SUM(c.claimed_by_user_id = l.user_id), 0)
            FROM user_action_log l
            LEFT JOIN scan_codes c
              ON c.code = JSON_UNQUOTE(JSON_EXTRACT(l.action_data, '$.code'))
            WHERE l.id > :mark AND l.action_type = 'product_scanned'
            """
        ),
        {"mark": before["ledger"]},
    ).one()
    claimed = (
        db.session.scalar(
            text("SELECT COUNT(*) FROM scan_codes WHERE claimed_by_user_id IS NOT NULL")
        )
        - before["claimed"]
    )
    problems = []
    if not rows == codes == matched == claimed == scans:
        problems.append(
            f"{scans} scans answered 200, but {rows} new scan ledger rows naming {codes} codes, "
            f"{matched} claimed by the scanning member, {claimed} codes newly claimed"
        )
    return problems


def webhook_problems(before, accepted, applied_in):
    stored = db.session.scalar(
        text("SELECT COUNT(*) FROM customer_io_webhook_log WHERE id > :mark"),
        {"mark": before["webhooks"]},
    )
    problems = []
    if stored != accepted:
        problems.append(f"{accepted} webhooks accepted but {stored} stored")
    if applied_in is None:
        problems.append("stored webhooks were not all applied in time")
    return problems


def outbox_problems(before, fake, delivered_in):
    """Every new outbox event row is sent and reached the fake exactly once (by its id)."""
    problems = []
    if delivered_in is None:
        problems.append("the outbox did not drain in time")
    uids = set(
        db.session.scalars(
            text(
                "SELECT event_uid FROM customer_io_event_queue "
                "WHERE id > :mark AND event_type = 'event'"
            ),
            {"mark": before["outbox"]},
        )
    )
    unsent = db.session.scalar(
        text("SELECT COUNT(*) FROM customer_io_event_queue WHERE id > :mark AND status <> 'sent'"),
        {"mark": before["outbox"]},
    )
    if unsent:
        problems.append(f"{unsent} outbox rows not sent")
    received = [event["id"] for event in fake.events()]
    missing = uids - set(received)
    if missing:
        problems.append(f"{len(missing)} events never reached Customer.io")
    return problems


def run_all(before, results, fake, applied_in, delivered_in):
    """Every check; returns the problems found (empty when all hold)."""
    scans = sum(results[label]["successes"] for label in ("scan-20", "scan-1") if label in results)
    problems = ledger_problems() + scan_problems(before, scans)
    if "webhook" in results:
        problems += webhook_problems(before, results["webhook"]["successes"], applied_in)
    problems += outbox_problems(before, fake, delivered_in)
    for label, result in results.items():
        if result["errors"]:
            problems.append(f"{label}: {result['errors']} errors {result['statuses']}")
    return problems
