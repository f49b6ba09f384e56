"""Member pages send a fixed number of statements however long the member's history."""

from datetime import timedelta

import pytest
from sqlalchemy import insert

from tests.loyalty.test_query_bound import statements_of
from tests.performance.test_round_trips import sign_in
from tests.portal.member_world import new_program
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
