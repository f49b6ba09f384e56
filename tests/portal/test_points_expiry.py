"""Members see their next points to expire on the dashboard and the rank page, in their
language."""

from datetime import timedelta

import pytest
from babel.dates import format_date

from tests.portal.member_world import new_program
from webapp.extensions import db
from webapp.loyalty import expiry
from webapp.loyalty.ledger import grant, lock_member
from webapp.timeutil import utcnow

pytestmark = pytest.mark.sqlite_ok


def earned_days_ago(person, brand, points, days):
    """A credit dated `days` ago; the day it expires on (three months later, UTC brand)."""
    entry = grant(lock_member(person.id, brand.id), points, "product_scanned")
    entry.log.created_at = utcnow() - timedelta(days=days)
    db.session.commit()
    return expiry.add_months(entry.log.created_at.date(), 3)


@pytest.fixture
def expiring(make):
    program = new_program(make, points_expiry={"policy": "rolling", "months": 3})
    first = earned_days_ago(program.member, program.brand, 1250, 80)
    earned_days_ago(program.member, program.brand, 40, 10)
    return program, first


def test_the_dashboard_says_which_points_expire_when(client, auth, expiring):
    program, first = expiring
    auth.login(program.email)

    html = client.get("/").get_data(as_text=True)

    expected = f"1,250 points expire on {format_date(first, format='medium', locale='en')}"
    assert expected in html


def test_the_rank_page_says_it_in_spanish_and_french(client, auth, expiring):
    program, first = expiring
    auth.login(program.email)

    spanish = client.get("/rank", headers={"Accept-Language": "es"}).get_data(as_text=True)
    french = client.get("/rank", headers={"Accept-Language": "fr-CA"}).get_data(as_text=True)

    assert f"1.250 puntos vencen el {format_date(first, format='medium', locale='es')}" in spanish
    when = format_date(first, format="medium", locale="fr_CA")
    assert f"1\xa0250 points expirent le {when}" in french


def test_nothing_is_said_without_expiry(client, auth, make):
    program = new_program(make)
    earned_days_ago(program.member, program.brand, 500, 80)
    auth.login(program.email)

    assert 'id="points-expiry"' not in client.get("/").get_data(as_text=True)
    assert 'id="points-expiry"' not in client.get("/rank").get_data(as_text=True)
