"""Forms never say whether an email has an account somewhere on the platform."""

from tests.admin.conftest import HOST_A


def staff_form_answer(owner, email):
    response = owner.post("/admin/staff", data={"email": email, "role": "support"}, base_url=HOST_A)
    return response.status_code, response.get_data(as_text=True).replace(email, "EMAIL")


def test_staff_form_answers_alike_for_another_brands_account_and_nobody(owner, world):
    elsewhere = staff_form_answer(owner, world.emails["other_owner"])
    nobody = staff_form_answer(owner, "nobody-at-all@example.com")
    assert elsewhere == nobody and elsewhere[0] == 200
