"""The profile's birthday: given with consent, month and day only, removable, exported,
forgotten with the account."""

import json

import pytest

from tests.portal.member_world import new_program
from webapp.brand_settings import DEFAULT_PRIVACY_TEXT
from webapp.extensions import db
from webapp.loyalty import profiles
from webapp.models import MemberWallet, User

pytestmark = pytest.mark.sqlite_ok

BONUS = {"birthday": {"bonus_points": 150}}


def birthday_of(program):
    db.session.expire_all()
    wallet = db.session.get(MemberWallet, (program.member.id, program.brand.id))
    return wallet.birth_month, wallet.birth_day


def test_the_profile_asks_with_the_reason_when_the_brand_pays_a_bonus(client, auth, make):
    program = new_program(make, **BONUS)
    auth.login(program.email)
    html = client.get("/profile").get_data(as_text=True)
    assert 'id="profile-birthday"' in html
    assert f"so {program.brand.name} can give you a birthday bonus" in html
    assert "We never ask for the year" in html
    assert f"Keep my birthday so {program.brand.name} can give me a birthday bonus." in html
    assert '<option value="3">March</option>' in html
    assert "Remove my birthday" not in html


def test_no_birthday_question_without_a_bonus(client, auth, make):
    program = new_program(make)
    auth.login(program.email)
    assert 'id="profile-birthday"' not in client.get("/profile").get_data(as_text=True)


def test_a_birthday_is_saved_with_consent_and_removed(client, auth, make):
    program = new_program(make, **BONUS)
    auth.login(program.email)
    form = {"birth_month": "3", "birth_day": "14", "birthday_consent": "y"}
    response = client.post("/profile/birthday", data=form)
    assert response.status_code == 303
    assert birthday_of(program) == (3, 14)
    html = client.get("/profile").get_data(as_text=True)
    assert "Your birthday is saved." in html and "Remove my birthday" in html
    assert '<option selected value="3">' in html or '<option value="3" selected>' in html
    response = client.post("/profile/birthday", data={**form, "remove": "1"})
    assert response.status_code == 303 and birthday_of(program) == (None, None)
    assert "Your birthday is removed." in client.get("/profile").get_data(as_text=True)


def test_no_birthday_is_kept_without_the_consent_box(client, auth, make):
    program = new_program(make, **BONUS)
    auth.login(program.email)
    response = client.post("/profile/birthday", data={"birth_month": "3", "birth_day": "14"})
    assert response.status_code == 422
    assert "Tick the box to let us keep your birthday" in response.get_data(as_text=True)
    assert birthday_of(program) == (None, None)


@pytest.mark.parametrize(
    ("form", "message"),
    [
        ({"birth_month": "2", "birth_day": "30"}, "Choose a month and a day that exist"),
        ({"birth_month": "13", "birth_day": "1"}, "Choose a month and a day that exist"),
        ({"birth_month": "4", "birth_day": ""}, "Choose both the month and the day"),
        ({"birth_month": "x", "birth_day": "y"}, "Choose a month and a day that exist"),
    ],
)
def test_a_bad_birthday_is_a_clear_message(client, auth, make, form, message):
    program = new_program(make, **BONUS)
    auth.login(program.email)
    response = client.post("/profile/birthday", data={**form, "birthday_consent": "y"})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert message in html
    assert birthday_of(program) == (None, None)


def test_29_february_can_be_given(client, auth, make):
    program = new_program(make, **BONUS)
    auth.login(program.email)
    form = {"birth_month": "2", "birth_day": "29", "birthday_consent": "y"}
    assert client.post("/profile/birthday", data=form).status_code == 303
    assert birthday_of(program) == (2, 29)


def test_the_export_holds_the_birthday_and_deleting_forgets_it(client, auth, make):
    program = new_program(make, **BONUS)
    auth.login(program.email)
    form = {"birth_month": "11", "birth_day": "5", "birthday_consent": "y"}
    client.post("/profile/birthday", data=form)
    exported = json.loads(client.get("/profile/export").get_data(as_text=True))
    [wallet] = [row for row in exported["wallets"] if row["brand_id"] == program.brand.id]
    assert (wallet["birth_month"], wallet["birth_day"]) == (11, 5)
    assert "date_of_birth" not in exported["profile"]
    profiles.delete_account(program.member.id)
    db.session.commit()
    assert birthday_of(program) == (None, None)
    assert db.session.get(User, program.member.id).deleted_at is not None


def test_the_privacy_text_says_what_is_kept_of_a_birthday():
    assert "We never store your date of birth" in DEFAULT_PRIVACY_TEXT
    assert "only its month and day, until you remove it" in DEFAULT_PRIVACY_TEXT
