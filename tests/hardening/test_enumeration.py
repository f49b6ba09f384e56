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


def test_sign_ups_from_one_ip_are_limited_whatever_the_emails(client, app, make):
    from tests.auth.conftest import years_ago

    brand = make.brand()
    taken = [make.user(email=f"taken{n}@example.com", brands=[brand]).email for n in range(10)]
    new = [f"new{n}@example.com" for n in range(11)]
    statuses = []
    for email in [e for pair in zip(taken, new, strict=False) for e in pair] + new[10:]:
        data = {"email": email, "password": "long enough pass", "first_name": "Al",
                "date_of_birth": years_ago(30).isoformat(), "accept_terms": "y"}  # fmt: skip
        response = client.post("/register", data=data)
        statuses.append(response.status_code)
    assert statuses[:20] == [303] * 20  # taken and new answered alike
    assert statuses[20] == 429
    assert "Too many sign-ups" in response.get_data(as_text=True)
