"""Forms never say whether an email has an account somewhere on the platform."""

import re

from tests.admin.conftest import HOST_A


def staff_form_answer(owner, email):
    response = owner.post("/admin/staff", data={"email": email, "role": "support"}, base_url=HOST_A)
    page = response.get_data(as_text=True).replace(email, "EMAIL")
    return response.status_code, re.sub(r'nonce="[^"]+"', "", page)


def test_staff_form_answers_alike_for_another_brands_account_and_nobody(owner, world):
    elsewhere = staff_form_answer(owner, world.emails["other_owner"])
    nobody = staff_form_answer(owner, "nobody-at-all@example.com")
    assert elsewhere == nobody and elsewhere[0] == 200


def test_sign_up_stops_telling_one_ip_which_emails_are_taken(client, app, make):
    from tests.auth.conftest import years_ago

    make.brand()
    taken = [make.user().email for _ in range(11)]
    statuses = []
    for email in taken:
        data = {"email": email, "password": "long enough pass", "first_name": "Al",
                "date_of_birth": years_ago(30).isoformat(), "accept_terms": "y"}  # fmt: skip
        response = client.post("/register", data=data)
        statuses.append(response.status_code)
    assert statuses[:10] == [200] * 10
    assert statuses[10] == 429
    assert "Too many sign-ups" in response.get_data(as_text=True)
