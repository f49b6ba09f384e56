"""The member's predictions: the brand workspace's, else the platform's, never another
brand's; read in one statement."""

import pytest

from tests.loyalty.test_query_bound import statements_of
from webapp.extensions import db
from webapp.loyalty.personalisation import ai_profile_for
from webapp.models import MemberAiProfile, UserAiProfile

pytestmark = pytest.mark.sqlite_ok


def read(user_id, brand_id):
    """(the profile, the statements its read sent), from a fresh session."""
    db.session.expire_all()
    db.session.expunge_all()
    found = []
    statements = statements_of(lambda: found.append(ai_profile_for(user_id, brand_id)))
    return found[0], [s for s in statements if s.lstrip().upper().startswith("SELECT")]


def test_the_brands_profile_else_the_platforms_else_none_in_one_read(make):
    brand_id, other_id, person_id = make.brand().id, make.brand().id, make.user().id
    profile, statements = read(person_id, brand_id)
    assert profile is None and len(statements) == 1

    db.session.add(MemberAiProfile(user_id=person_id, brand_id=other_id, next_best_action="x"))
    db.session.commit()
    profile, statements = read(person_id, brand_id)
    assert profile is None and len(statements) == 1  # another brand's is never used

    db.session.add(UserAiProfile(user_id=person_id, next_best_action="set_goal"))
    db.session.commit()
    profile, statements = read(person_id, brand_id)
    assert isinstance(profile, UserAiProfile) and profile.next_best_action == "set_goal"
    assert len(statements) == 1

    db.session.add(MemberAiProfile(user_id=person_id, brand_id=brand_id, next_best_action="y"))
    db.session.commit()
    profile, statements = read(person_id, brand_id)
    assert isinstance(profile, MemberAiProfile) and profile.brand_id == brand_id
    assert profile.next_best_action == "y" and len(statements) == 1
    # already in the session: no read at all
    assert ai_profile_for(person_id, brand_id) is profile
