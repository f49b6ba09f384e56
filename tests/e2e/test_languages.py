"""The member pages in a Spanish and a Canadian French browser: the text, the numbers, the
scripts' own words, and the same accessibility checks as in English."""

import pytest

from tests.e2e.conftest import sign_in
from tests.e2e.test_accessibility import problems_here


@pytest.mark.parametrize(
    ("locale", "heading", "copied", "separator"),
    [
        ("es-ES", "Escanea un producto", "¡Copiado!", "."),
        ("fr-CA", "Balayez un produit", "Copié!", "\xa0"),
    ],
)
def test_member_pages_in_the_browser_language(
    new_context, live_server, locale, heading, copied, separator
):
    consumer = live_server["demo"]["consumer"]
    page = new_context(locale=locale).new_page()
    sign_in(page, consumer["email"], consumer["password"])
    balance = page.locator("#points-balance")
    assert int(balance.get_attribute("data-value")) >= 1000  # the demo member's points
    assert separator in balance.inner_text()
    page.goto("/scan")
    assert page.locator("h1").inner_text() == heading
    assert page.evaluate("window.pageText('Copied!')") == copied
    assert problems_here(page) == []
    page.goto("/rewards")
    assert problems_here(page) == []
