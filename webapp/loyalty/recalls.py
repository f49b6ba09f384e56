"""Recalls: taking back the points a voided batch's claimed codes earned.

A scan's ledger row (`product_scanned`, the product's id, `action_data["code"]`) is what a
claimed code earned; the archive keeps the rows older than a year and counts too. Staff ask
once per batch (`request_reversal`, a conditional UPDATE: two clicks at once, one wins); the
job (`webapp.code_batches.reverse_batch_points`) then calls `reverse_member` for each member
who claimed one of its codes: under the member's lock it writes one `points_reversed` row
through `ledger.take_back` (never below a zero balance, the shortfall on the row) and one
`points_reversed` event, unless that member's row for this batch already exists. Nothing here
commits.
"""

from dataclasses import dataclass

from sqlalchemy import select, update

from webapp.events.outbox import record_event
from webapp.extensions import db
from webapp.loyalty.ledger import lock_member, take_back
from webapp.loyalty.membership import NotAMember
from webapp.models import CodeBatch, Product, ScanCode, UserActionLog, UserActionLogArchive
from webapp.timeutil import utcnow

ACTION = "points_reversed"
SCAN_ACTION = "product_scanned"
LOG_TABLES = (UserActionLog, UserActionLogArchive)
# Members whose scan rows one query reads.
CHUNK = 500


@dataclass(frozen=True)
class Earnings:
    """What a batch's claimed codes earned one member: the codes and their points."""

    codes: int
    points: int


@dataclass(frozen=True)
class RecallSummary:
    """What taking a batch's points back touches (the confirmation screen's figures)."""

    members: int
    points: int


@dataclass(frozen=True)
class ReversalTotals:
    """What the reversal of a batch did so far: members, points taken, points short."""

    members: int
    taken: int
    shortfall: int


def claimants(batch_id):
    """{user_id: {code, ...}} of the batch's claimed codes."""
    rows = db.session.execute(
        select(ScanCode.claimed_by_user_id, ScanCode.code).where(
            ScanCode.batch_id == batch_id, ScanCode.claimed_by_user_id.is_not(None)
        )
    )
    codes = {}
    for user_id, code in rows:
        codes.setdefault(user_id, set()).add(code)
    return codes


def earnings(batch, codes_by_member):
    """{user_id: Earnings} of the members in `codes_by_member` ({user_id: codes}): the
    points their scan rows of these codes earned (live and archived ledger)."""
    found = {}
    user_ids = sorted(codes_by_member)
    for start in range(0, len(user_ids), CHUNK):
        chunk = user_ids[start : start + CHUNK]
        for model in LOG_TABLES:
            rows = db.session.execute(
                select(model.user_id, model.points_awarded, model.action_data).where(
                    model.user_id.in_(chunk),
                    model.action_type == SCAN_ACTION,
                    model.product_id == batch.product_id,
                    model.brand_id == batch.brand_id,
                )
            )
            for user_id, points, data in rows:
                code = data.get("code") if isinstance(data, dict) else None
                if code in codes_by_member[user_id]:
                    codes, total = found.get(user_id, (0, 0))
                    found[user_id] = (codes + 1, total + max(points or 0, 0))
    return {user_id: Earnings(*figures) for user_id, figures in found.items()}


def recall_summary(batch):
    """How many members the reversal would touch and how many points it asks back."""
    owed = [figures for figures in earnings(batch, claimants(batch.id)).values() if figures.points]
    return RecallSummary(len(owed), sum(figures.points for figures in owed))


def request_reversal(batch_id):
    """Mark the batch's points as asked back; True for the one request that marked it."""
    marked = db.session.execute(
        update(CodeBatch)
        .where(CodeBatch.id == batch_id, CodeBatch.points_reversal_requested_at.is_(None))
        .values(points_reversal_requested_at=utcnow())
        .execution_options(synchronize_session=False)
    ).rowcount
    return marked == 1


def _reversal_rows(brand_id, product_id, user_id=None):
    """The action_data of the `points_reversed` rows about a product (live and archived)."""
    found = []
    for model in LOG_TABLES:
        query = select(model.action_data).where(
            model.brand_id == brand_id,
            model.action_type == ACTION,
            model.product_id == product_id,
        )
        if user_id is not None:
            query = query.where(model.user_id == user_id)
        found += [data for data in db.session.scalars(query) if isinstance(data, dict)]
    return found


def reversed_already(batch, user_id):
    """True when the member's points of this batch were taken back already."""
    rows = _reversal_rows(batch.brand_id, batch.product_id, user_id)
    return any(data.get("batch_id") == batch.id for data in rows)


def reverse_member(batch, user_id):
    """Take back what the batch's codes earned the member, once; the LedgerEntry, or None
    when there is nothing (more) to take back."""
    try:
        member = lock_member(user_id, batch.brand_id)
    except NotAMember:
        return None
    if reversed_already(batch, user_id):
        return None
    owed = earnings(batch, {user_id: claimants_of(batch.id, user_id)}).get(user_id)
    if owed is None or not owed.points:
        return None
    entry = take_back(
        member,
        owed.points,
        ACTION,
        product_id=batch.product_id,
        action_data={"batch_id": batch.id, "codes": owed.codes, "reason": "recall"},
    )
    data = entry.log.action_data
    record_event(
        member.user,
        ACTION,
        brand_id=batch.brand_id,
        product=db.session.get(Product, batch.product_id),
        context={
            "batch_id": batch.id,
            "points_reversed": data["points_taken"],
            "points_asked": data["points_asked"],
            "shortfall": data["shortfall"],
            "points_balance": member.wallet.points_balance,
        },
    )
    return entry


def claimants_of(batch_id, user_id):
    """The batch's codes the member claimed."""
    return set(
        db.session.scalars(
            select(ScanCode.code).where(
                ScanCode.batch_id == batch_id, ScanCode.claimed_by_user_id == user_id
            )
        )
    )


def reversal_totals(batch):
    """What the batch's reversal took back so far, and what balances could not cover."""
    rows = [
        data
        for data in _reversal_rows(batch.brand_id, batch.product_id)
        if data.get("batch_id") == batch.id
    ]
    return ReversalTotals(
        len(rows),
        sum(int(data.get("points_taken") or 0) for data in rows),
        sum(int(data.get("shortfall") or 0) for data in rows),
    )
