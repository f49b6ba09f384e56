"""The compliance steps speak the member's language: the region step, the re-accept step,
the consent history, the rules' refusals and our default legal texts (a brand's own text
reads as written)."""

import re

import pytest
from babel.messages.pofile import read_po

from tests.auth.conftest import years_ago
from tests.compliance.conftest import member_in
from tests.portal.member_world import HTMX
from tests.portal.test_translations import CATALOGUES
from webapp.brand_settings import DEFAULT_TERMS_TEXT
from webapp.extensions import db
from webapp.loyalty.consents import record_consent
from webapp.portal.wording import translated
from webapp.translation_marks import N_, Phrase

pytestmark = pytest.mark.sqlite_ok

HOST = "http://regional.test"
SPANISH = {"Accept-Language": "es"}
FRENCH = {"Accept-Language": "fr-CA"}
SHIPPING = {
    "name": "Ria Diaz",
    "address1": "1 Main St",
    "city": "Boston",
    "region": "MA",
    "postal_code": "02101",
    "country": "US",
}


def sign_in(client, person, host=HOST):
    client.post(
        "/login", data={"email": person.email, "password": "correct horse battery"}, base_url=host
    )


def page(client, path, headers, host=HOST):
    return client.get(path, headers=headers, base_url=host).get_data(as_text=True)


def test_the_region_step_in_spanish_and_french(client, make, regional):
    sign_in(client, member_in(make, regional.brand, None))
    spanish = page(client, "/region", SPANISH)
    assert "<h1>¿Dónde vives?</h1>" in spanish
    assert f"Recompensas {regional.brand.name} funciona en varios estados y provincias" in spanish
    assert "Elige tu estado o provincia" in spanish and "Where do you live?" not in spanish
    french = page(client, "/region", FRENCH)
    assert "<h1>Où habitez-vous?</h1>" in french and "Lieu de résidence" in french
    assert "Choisissez votre province ou État" in french


def test_region_refusals_read_in_the_language_with_their_names(client, make, regional):
    sign_in(client, member_in(make, regional.brand, "CA-AB"))  # 18 in Alberta, 21 in Quebec
    french = client.post("/region", data={"region": "CA-QC"}, headers=FRENCH, base_url=HOST)
    assert "L’âge minimum dans cette région (Quebec) est de 21 ans." in french.get_data(True)
    too_young = {"region": "CA-QC", "date_of_birth": years_ago(20).isoformat()}
    spanish = client.post("/region", data=too_young, headers=SPANISH, base_url=HOST)
    assert "Debes tener 21 años o más para ser miembro en Quebec." in spanish.get_data(True)
    db.session.rollback()  # the refused move ends its transaction (a request's context would)


def test_a_sign_up_from_a_refused_region_is_told_why_in_spanish(client, regional):
    data = {
        "email": "id@example.com",
        "password": "long enough pass",
        "first_name": "Ida",
        "date_of_birth": years_ago(30).isoformat(),
        "region": "US-ID",
        "accept_terms": "y",
    }
    html = client.post("/register", data=data, headers=SPANISH, base_url=HOST).get_data(True)
    name = regional.brand.name
    assert f"Lo sentimos, por ahora Recompensas {name} no puede aceptar miembros en Idaho." in html
    assert "Acepto los términos del programa y la política de privacidad" in html


def test_the_accept_terms_step_in_spanish_and_french(client, make):
    brand = make.brand(hosts=["terms.test"])
    person = member_in(make, brand, None)
    sign_in(client, person, "http://terms.test")
    brand.settings = {"compliance": {"terms_version": "2"}}
    db.session.commit()
    spanish = page(client, "/terms/accept", SPANISH, "http://terms.test")
    assert "<h1>Actualizamos nuestros términos</h1>" in spanish
    assert 'href="/terms">Términos del programa</a> (versión 2)' in spanish
    assert "Acepto los términos y la política de privacidad actualizados" in spanish
    assert '¿No estás de acuerdo? Puedes <a href="/profile/export">descargar' in spanish
    french = page(client, "/terms/accept", FRENCH, "http://terms.test")
    assert "<h1>Nous avons mis à jour nos conditions</h1>" in french
    assert 'href="/terms">Conditions du programme</a> (version 2)' in french
    refused = client.post("/terms/accept", data={}, headers=FRENCH, base_url="http://terms.test")
    assert "Veuillez cocher la case pour continuer." in refused.get_data(as_text=True)


def test_the_consent_history_in_spanish_and_french(client, make):
    brand = make.brand(hosts=["ledger.test"])
    person = member_in(make, brand, None)  # accepted the terms at sign-up
    record_consent(person.id, brand.id, "sms", True, "profile", version="1")
    record_consent(person.id, brand.id, "sms", False, "webhook")
    db.session.commit()
    sign_in(client, person, "http://ledger.test")
    spanish = page(client, "/profile", SPANISH, "http://ledger.test")
    assert "<h2>Tus consentimientos</h2>" in spanish
    assert "<strong>Términos del programa</strong>: aceptación" in spanish
    assert "<strong>Mensajes de texto</strong>: consentimiento retirado" in spanish
    assert "<strong>Mensajes de texto</strong>: consentimiento otorgado" in spanish
    assert "(versión 1)" in spanish and "· Registro</span>" in spanish
    assert "Enlace para darte de baja o respuesta por mensaje de texto" in spanish
    assert "Your consents" not in spanish and "registration</span>" not in spanish
    french = page(client, "/profile", FRENCH, "http://ledger.test")
    assert "<strong>Politique de confidentialité</strong> : acceptation" in french
    assert "<strong>Textos</strong> : consentement retiré" in french
    assert "· Inscription</span>" in french and " h " in french  # "14 h 05": the French time


def test_a_no_earning_scan_reads_in_spanish(client, make, regional):
    sign_in(client, member_in(make, regional.brand, "US-MA"))
    code = make.scan_code(regional.product).code
    answer = client.post("/scan", data={"code": code}, headers={**HTMX, **SPANISH}, base_url=HOST)
    html = answer.get_data(as_text=True)
    assert answer.status_code == 200
    assert (
        f"Código reclamado para {regional.product.name}. En Massachusetts no se pueden ganar "
        "puntos, así que este escaneo no suma puntos." in html
    )
    assert "can&#39;t be earned" not in html


def _confirmed_form(client, reward):
    """The shipping details with the key and price the confirm step hands out."""
    review = client.post(
        f"/rewards/{reward.id}/review", data=SHIPPING, headers=HTMX, base_url=HOST
    ).get_data(as_text=True)
    key = re.search(r'name="idempotency_key" value="([^"]+)"', review).group(1)
    return {**SHIPPING, "idempotency_key": key, "points_cost": str(reward.points_cost)}


def test_a_redemption_refused_by_the_region_says_why_in_the_language(client, make, regional):
    sign_in(client, member_in(make, regional.brand, "US-MA", points=500))
    path = f"/rewards/{regional.reward.id}"
    english = client.post(
        path,
        data=_confirmed_form(client, regional.reward),
        headers={**HTMX, "Accept-Language": "en"},
        base_url=HOST,
    )
    assert english.status_code == 422
    assert "Rewards can&#39;t be redeemed in Massachusetts." in english.get_data(as_text=True)
    spanish = client.post(
        path,
        data=_confirmed_form(client, regional.reward),
        headers={**HTMX, **SPANISH},
        base_url=HOST,
    )
    assert "En Massachusetts no se pueden canjear recompensas." in spanish.get_data(True)


def test_our_default_terms_read_in_the_language_and_a_brands_own_as_written(client, make):
    brand = make.brand(hosts=["doc.test"])
    spanish = page(client, "/terms", SPANISH, "http://doc.test")
    assert "<h1>Términos del programa</h1>" in spanish
    assert f"Recompensas {brand.name} es un programa de lealtad" in spanish
    assert "{brand}" not in spanish and "is a loyalty program" not in spanish
    french = page(client, "/privacy", FRENCH, "http://doc.test")
    assert f"{brand.name} conserve votre nom, votre courriel" in french
    brand.settings = {"compliance": {"terms_text": "Rules of {brand}.", "privacy_version": "3"}}
    db.session.commit()
    own = page(client, "/terms", SPANISH, "http://doc.test")
    assert f"Rules of {brand.name}." in own and "programa de lealtad" not in own
    assert "· versión 1" in own


def test_our_default_sms_disclosure_reads_in_the_language(client, make):
    brand = make.brand(hosts=["sms.test"])
    french = page(client, "/register", FRENCH, "http://sms.test")
    assert f"vous acceptez de recevoir de {brand.name} des textos de marketing" in french
    assert "Répondez STOP pour annuler" in french
    assert "Envoyez-moi des offres par texto" in french
    brand.settings = {"compliance": {"sms_disclosure": "Texts from {brand}: reply STOP to end."}}
    db.session.commit()
    own = page(client, "/register", FRENCH, "http://sms.test")
    assert f"Texts from {brand.name}: reply STOP to end." in own


def test_the_default_terms_stay_english_for_english_readers(client, make):
    brand = make.brand(hosts=["en.test"])
    html = page(client, "/terms", {"Accept-Language": "en"}, "http://en.test")
    assert DEFAULT_TERMS_TEXT.replace("{brand}", brand.name).split(". ")[0] in html


@pytest.mark.parametrize("locale", ["es", "fr_CA"])
def test_translations_keep_the_brand_placeholder(locale):
    with open(CATALOGUES / locale / "LC_MESSAGES" / "messages.po", "rb") as handle:
        catalogue = read_po(handle, locale=locale)
    with_brand = [message for message in catalogue if message.id and "{brand}" in message.id]
    assert len(with_brand) == 3
    for message in with_brand:
        assert message.string.count("{brand}") == message.id.count("{brand}"), message.id


def test_a_phrase_reads_in_english_and_translates_before_its_values(app):
    phrase = Phrase(N_("Rewards can't be redeemed in %(region)s."), region="Alberta")
    assert phrase == "Rewards can't be redeemed in Alberta." and phrase.params["region"]
    outer = Phrase(N_("Code claimed for %(product)s. %(reason)s"), product="Kush", reason=phrase)
    with app.test_request_context(headers=SPANISH):
        assert translated(outer) == (
            "Código reclamado para Kush. En Alberta no se pueden canjear recompensas."
        )
