"""Member pages send a fixed number of statements however long the member's history."""

from datetime import timedelta

import pytest
from sqlalchemy import insert

from tests.loyalty.test_query_bound import statements_of
from tests.performance.test_round_trips import engine_of, sent_by, sign_in
from tests.portal.member_world import new_program, set_wallet
from webapp.extensions import db
from webapp.models import UserActionLog
from webapp.timeutil import utcnow

pytestmark = pytest.mark.sqlite_ok


def add_history(program, member, rows):
    """`rows` past scans of `member` at the program's brand."""
    now = utcnow()
    db.session.execute(
        insert(UserActionLog),
        [
            {
                "user_id": member.id,
                "brand_id": program.brand.id,
                "action_type": "product_scanned",
                "product_id": program.product.id,
                "points_awarded": 0,
                "created_at": now - timedelta(minutes=n),
            }
            for n in range(rows)
        ],
    )
    db.session.commit()


def page_statements(client, email, path):
    sign_in(client, email)
    client.get(path)  # warm: the brand's settings and program are cached after this
    sent = statements_of(lambda: client.get(path))
    client.post("/logout")
    return sent


@pytest.mark.parametrize("path", ["/", "/rewards"])
def test_member_pages_send_the_same_statements_with_10_or_3000_rows_of_history(client, make, path):
    program = new_program(make)
    veteran = make.user()
    add_history(program, program.member, 10)
    add_history(program, veteran, 3000)
    short = page_statements(client, program.email, path)
    long = page_statements(client, veteran.email, path)
    assert len(short) == len(long), "\n".join(long)


@pytest.mark.parametrize("expiry", [None, {"policy": "rolling", "months": 12}])
def test_the_dashboard_reads_the_members_wallet_once(bench_app, app, make, expiry):
    """A request of its own (a fresh session, as in production): the page's wallet is read
    once, with the person, and the next expiry uses it (nothing at all where points never
    expire)."""
    with app.app_context():
        program = new_program(make, **({"points_expiry": expiry} if expiry else {}))
        add_history(program, program.member, 5)
        set_wallet(program, points_balance=500, lifetime_points=500)
    client = bench_app.test_client()
    sign_in(client, program.email)
    assert client.get("/").status_code == 200  # warm
    answers = []
    sent, _ = sent_by(engine_of(bench_app), lambda: answers.append(client.get("/")))
    assert answers[0].status_code == 200
    wallet_reads = [s for s in sent if "member_wallets" in s]
    assert len(wallet_reads) == 1, "\n".join(wallet_reads)
    # with the person, in the sign-in's one statement
    assert "FROM users LEFT OUTER JOIN member_wallets" in wallet_reads[0]
    assert not [s for s in sent if s.startswith("SELECT users.") and s not in wallet_reads]
