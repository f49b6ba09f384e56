"""Member pages speak English, Spanish and Canadian French: every string marked, every
catalogue complete and compiled, the language chosen by the member, the switcher, the browser
or the brand, and numbers and dates written the locale's way."""

import json
import re
from html import unescape
from html.parser import HTMLParser
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po
from jinja2 import nodes

from tests.loyalty.achievement_helpers import scan
from tests.portal.member_world import HTMX, new_code, new_program, set_wallet
from webapp.extensions import db
from webapp.i18n import LANGUAGE_COOKIE, LANGUAGES

pytestmark = pytest.mark.sqlite_ok

ROOT = Path(__file__).resolve().parents[2]
CATALOGUES = ROOT / "webapp" / "translations"
MEMBER_TEMPLATES = sorted(
    path for path in (ROOT / "templates").rglob("*.html") if "admin" not in path.parts
)
# Text that reads the same in every language: names and codes.
ALLOWED_TEXT = {"CannaRewards", "DELETE"}
# Attributes people read (or hear).
READ_ATTRIBUTES = {"title", "alt", "placeholder", "aria-label", "data-copied-label"}
# Calls whose string arguments are code, not text (icons, URLs, translation calls).
NON_TEXT_CALLS = {"_", "gettext", "ngettext", "translated", "url_for", "icon", "format"}


class _VisibleText(HTMLParser):
    """Text nodes and read attributes of a template whose Jinja parts are blanked out."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found, self._skip = [], 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style", "svg"):
            self._skip += 1
        read = dict(attrs)
        for name, value in attrs:
            if name in READ_ATTRIBUTES or name.startswith(("data-share-", "data-offline-")):
                self.found.append(value or "")
        if tag == "meta" and read.get("name") == "description":
            self.found.append(read.get("content") or "")

    def handle_endtag(self, tag):
        if tag in ("script", "style", "svg"):
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip:
            self.found.append(data)


def _without_jinja(source):
    """The template's HTML with every tag, expression and trans block replaced by a blank."""
    source = re.sub(r"{#.*?#}", " ", source, flags=re.S)
    source = re.sub(r"{%-?\s*trans\b.*?{%-?\s*endtrans\s*-?%}", " ", source, flags=re.S)
    source = re.sub(r"{{.*?}}", " ", source, flags=re.S)
    return re.sub(r"{%.*?%}", " ", source, flags=re.S)


def _unmarked_html_text(source):
    parser = _VisibleText()
    parser.feed(_without_jinja(source))
    words = (text.strip() for text in parser.found)
    return [text for text in words if _is_prose(text)]


def _is_prose(text):
    """Words people read: letters, not a lone class name or key (`page-landing`)."""
    if text in ALLOWED_TEXT or re.fullmatch(r"[a-z0-9_-]+", text):
        return False
    return bool(re.search(r"[A-Za-z]{2,}", text))


def _call_name(node):
    target = node.node
    return getattr(target, "name", None) or getattr(target, "attr", None)


def _printed_words(node, inside_call=False):
    """String constants with words under `node`, skipping call and filter arguments."""
    if isinstance(node, nodes.Call) and _call_name(node) in NON_TEXT_CALLS:
        return
    inside_call = inside_call or isinstance(node, nodes.Call | nodes.Filter | nodes.Test)
    text = node.value if isinstance(node, nodes.Const) else None
    if isinstance(text, str) and not inside_call and " " in text.strip():
        yield text
    for child in node.iter_child_nodes():
        yield from _printed_words(child, inside_call)


def _unmarked_output_strings(env, source):
    """String constants printed by `{{ ... }}` outside any call (e.g. `{{ "Save" if x }}`)."""
    found = []
    for output in env.parse(source).find_all(nodes.Output):
        for child in output.nodes:
            if not isinstance(child, nodes.TemplateData):
                found.extend(_printed_words(child))
    return [text for text in found if _is_prose(text)]


@pytest.mark.parametrize("path", MEMBER_TEMPLATES, ids=lambda p: str(p.relative_to(ROOT)))
def test_member_templates_mark_every_string(app, path):
    source = path.read_text(encoding="utf-8")
    unmarked = _unmarked_html_text(source) + _unmarked_output_strings(app.jinja_env, source)
    assert unmarked == [], f"wrap these in _() or {{% trans %}}: {unmarked}"


def test_the_unmarked_string_check_finds_unmarked_text(app):
    source = (
        '<p>{{ _("Fine") }}</p><h2>Plain words</h2><a title="Open it">{{ x }}</a>'
        '{{ "Redeem it" if y else z }}{% trans %}Also fine{% endtrans %}'
    )
    found = _unmarked_html_text(source) + _unmarked_output_strings(app.jinja_env, source)
    assert found == ["Plain words", "Open it", "Redeem it"]


def _catalogue(locale):
    with open(CATALOGUES / locale / "LC_MESSAGES" / "messages.po", "rb") as handle:
        return read_po(handle, locale=locale)


def _template_ids():
    with open(CATALOGUES / "messages.pot", "rb") as handle:
        return {message.id for message in read_po(handle) if message.id}


def test_the_template_catalogue_holds_every_marked_string():
    with open(ROOT / "babel.cfg", encoding="utf-8") as handle:
        method_map, options_map = parse_mapping_cfg(handle)
    keywords = {"_": None, "gettext": None, "ngettext": (1, 2), "N_": None, "_l": None}
    keywords["lazy_gettext"] = None
    extracted = {
        message
        for filename, _lineno, message, _comments, _context in extract_from_dir(
            str(ROOT), method_map, options_map, keywords=keywords
        )
        if "admin" not in Path(filename).parts
    }
    assert extracted - _template_ids() == set(), "run `make catalogues`"


@pytest.mark.parametrize("locale", [code for code in LANGUAGES if code != "en"])
def test_each_catalogue_translates_every_member_string(locale):
    catalogue = _catalogue(locale)
    missing = []
    for msgid in _template_ids():
        message = catalogue.get(msgid)
        strings = message.string if message else None
        strings = strings if isinstance(strings, tuple) else (strings,)
        if message is None or message.fuzzy or not all(strings):
            missing.append(msgid)
    assert missing == []


@pytest.mark.parametrize("locale", [code for code in LANGUAGES if code != "en"])
def test_the_compiled_catalogue_matches_its_source(locale):
    with open(CATALOGUES / locale / "LC_MESSAGES" / "messages.mo", "rb") as handle:
        compiled = _pairs(read_mo(handle))
    assert compiled == _pairs(_catalogue(locale)), "run `make translations`"


def _pairs(catalogue):
    def plain(value):
        return tuple(value) if isinstance(value, list | tuple) else value

    return {plain(m.id): plain(m.string) for m in catalogue if m.id}


@pytest.fixture
def program(app, make):
    return new_program(make)


def _signed_in_with(program, auth, make, balance=12500):
    reward = make.product(program.brand, name="Grinder", points_cost=20000, points_award=0)
    set_wallet(program, points_balance=balance, lifetime_points=balance)
    auth.login(program.email)
    return reward


def test_dashboard_in_spanish_from_the_browser(client, auth, make, program):
    _signed_in_with(program, auth, make)
    html = client.get("/", headers={"Accept-Language": "es-MX,es;q=0.9"}).get_data(as_text=True)
    assert '<html lang="es"' in html
    assert "Formas de ganar" in html and "Actividad reciente" in html
    assert 'id="dashboard-balance">12.500<' in html
    assert "Faltan 7.500 puntos" in html
    assert "Ways to earn" not in html


def test_dashboard_in_canadian_french_from_the_browser(client, auth, make, program):
    _signed_in_with(program, auth, make)
    html = client.get("/", headers={"Accept-Language": "fr-CA"}).get_data(as_text=True)
    assert '<html lang="fr-CA"' in html
    assert "Façons de gagner" in html and "Activité récente" in html
    assert 'id="dashboard-balance">12\xa0500<' in html


def test_rewards_page_in_both_languages(client, auth, make, program):
    _signed_in_with(program, auth, make)
    spanish = client.get("/rewards", headers={"Accept-Language": "es"}).get_data(as_text=True)
    assert "<h1>Recompensas</h1>" in spanish and "20.000 Puntos" in spanish
    assert "Faltan 7.500 puntos" in spanish
    french = client.get("/rewards", headers={"Accept-Language": "fr"}).get_data(as_text=True)
    assert "<h1>Récompenses</h1>" in french and "20\xa0000 Points" in french
    assert "Liste de souhaits" in french


def test_scan_page_and_result_in_both_languages(client, auth, make, program):
    auth.login(program.email)
    page = client.get("/scan", headers={"Accept-Language": "es"}).get_data(as_text=True)
    assert "Escanea un producto" in page and "O escribe el código" in page
    assert "Lo reclamaremos cuando vuelvas a estar en línea" in page
    headers = {**HTMX, "Accept-Language": "fr-CA"}
    result = client.post("/scan", data={"code": new_code(make, program)}, headers=headers)
    html = result.get_data(as_text=True)
    assert "+150 points" in html and "Vous avez gagné 150 points pour Blue Dream 3.5g." in html
    unknown = client.post("/scan", data={"code": "NOPE"}, headers=headers)
    assert "Nous n’avons pas trouvé ce code" in unknown.get_data(as_text=True)


def test_history_dates_follow_the_locale(client, auth, make, program):
    scan(make, program.member, program.product)
    auth.login(program.email)
    html = client.get("/history", headers={"Accept-Language": "es"}).get_data(as_text=True)
    assert "Escaneaste un producto" in html
    assert re.search(
        r'<time class="small muted" datetime="[^"]+">\d{1,2} [a-z]{3,4}\.? \d{4}<', html
    )


def test_english_stays_the_source_text(client, auth, make, program):
    _signed_in_with(program, auth, make)
    html = client.get("/", headers={"Accept-Language": "en-US"}).get_data(as_text=True)
    assert "Ways to earn" in html and 'id="dashboard-balance">12,500<' in html


def test_the_switcher_cookie_wins_over_the_browser(client, program):
    answer = client.post("/language", data={"lang": "fr_CA", "next": "/login"})
    assert answer.status_code == 303 and answer.headers["Location"].endswith("/login")
    assert f"{LANGUAGE_COOKIE}=fr_CA" in answer.headers["Set-Cookie"]
    html = client.get("/login", headers={"Accept-Language": "es"}).get_data(as_text=True)
    assert "<h1>Se connecter</h1>" in html and 'aria-current="true">Français' in html


def test_the_switcher_is_open_before_the_age_gate(app, client, program, monkeypatch):
    monkeypatch.setitem(app.config, "AGE_GATE", True)
    answer = client.post("/language", data={"lang": "es", "next": "/"})
    assert answer.status_code == 303
    gate = client.get("/age-gate").get_data(as_text=True)
    assert "o más?" in gate


def test_the_member_choice_is_kept_on_the_account(client, auth, program):
    auth.login(program.email)
    client.post("/language", data={"lang": "es", "next": "/"})
    db.session.expire_all()
    assert db.session.get(type(program.member), program.member.id).locale == "es"
    client.delete_cookie(LANGUAGE_COOKIE)
    html = client.get("/", headers={"Accept-Language": "fr-CA"}).get_data(as_text=True)
    assert '<html lang="es"' in html


def test_the_switcher_refuses_unknown_languages_and_foreign_places(client, program):
    assert client.post("/language", data={"lang": "de"}).status_code == 400
    answer = client.post("/language", data={"lang": "es", "next": "//evil.example/x"})
    assert answer.headers["Location"] in ("/", "http://localhost/")


def test_the_brand_default_language_applies_without_a_browser_preference(client, make):
    make.brand(settings={"default_language": "fr_CA"})
    html = client.get("/login").get_data(as_text=True)
    assert '<html lang="fr-CA"' in html and "Mot de passe" in html


def test_form_errors_are_translated(client, program):
    html = client.post(
        "/register",
        data={"email": "x@example.com", "password": "longenough1", "first_name": "Ana"},
        headers={"Accept-Language": "es"},
    ).get_data(as_text=True)
    assert "Escribe tu fecha de nacimiento." in html and "Fecha de nacimiento" in html


def test_the_admin_stays_english(client, auth, make, program):
    make.staff(program.member, program.brand, role="owner")
    auth.login(program.email)
    html = client.get("/admin/", headers={"Accept-Language": "es"}).get_data(as_text=True)
    assert '<html lang="en"' in html


def test_landing_reads_our_tagline_in_the_language_and_a_brand_tagline_as_written(client, make):
    brand = make.brand(settings={"tagline": "Scan every pack. Earn every time."})
    french = client.get("/", headers={"Accept-Language": "fr-CA"}).get_data(as_text=True)
    assert "Balayez chaque emballage. Gagnez chaque fois." in french
    assert "Comment ça marche" in french and "Je m’inscris" in french
    brand.settings = {"tagline": "Harbor & <b>friends</b>"}
    db.session.commit()
    html = client.get("/", headers={"Accept-Language": "es"}).get_data(as_text=True)
    assert "Harbor &amp; &lt;b&gt;friends&lt;/b&gt;" in html and "Cómo funciona" in html


def test_the_scripts_words_come_with_the_page_in_its_language(client, auth, program):
    auth.login(program.email)
    spanish = client.get("/scan", headers={"Accept-Language": "es"}).get_data(as_text=True)
    block = re.search(r"<meta name=\"page-text\" content='([^']*)'>", spanish)
    words = json.loads(unescape(block.group(1)))
    assert words["Starting the camera…"] == "Encendiendo la cámara…"
    assert (
        words["Code found: %(code)s. Checking it…"] == "Código encontrado: %(code)s. Verificándolo…"
    )
    english = client.get("/scan", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert 'name="page-text"' not in english


def test_the_profile_offers_the_language_kept_with_the_account(client, auth, program):
    auth.login(program.email)
    html = client.get("/profile", headers={"Accept-Language": "fr-CA"}).get_data(as_text=True)
    assert "La langue de vos pages, gardée avec votre compte." in html
    assert html.count('action="/language"') == 2  # the profile's and the footer's
    assert html.count('aria-current="true">Français (Canada)') == 2


def test_rule_messages_speak_the_members_language_with_its_numbers(client, auth, make, program):
    """Shipping errors name their field in the member's language, a price change shows its
    number the way the locale writes it, and French puts its space before the colon."""
    from tests.portal.test_rewards import SHIPPING

    reward = _signed_in_with(program, auth, make, balance=25000)
    bad = {**SHIPPING, "city": " ", "name": "x" * 201}
    french = client.post(
        f"/rewards/{reward.id}/review", data=bad, headers={"Accept-Language": "fr-CA"}
    ).get_data(as_text=True)
    assert "Ville est obligatoire." in french
    assert "Nom est trop long (au plus 200 caractères)." in french
    spanish = client.post(
        f"/rewards/{reward.id}",
        data={**SHIPPING, "points_cost": "19000"},
        headers={"Accept-Language": "es"},
    ).get_data(as_text=True)
    assert "Esta recompensa ahora cuesta 20.000 puntos." in spanish
    rank = client.get("/rank", headers={"Accept-Language": "fr-CA"}).get_data(as_text=True)
    assert "Niveau\xa0:" in rank or "Niveau :" in rank
    assert "Niveau:" not in rank
