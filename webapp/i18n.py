"""Languages: which one a request speaks, the switcher, and locale-aware numbers and dates.

The member's choice (`users.locale`) wins, then a visitor's switcher cookie, then the
browser's `Accept-Language`, then the brand's default language. The admin speaks English.
"""

from urllib.parse import urlsplit

from babel import Locale
from flask import Blueprint, abort, redirect, request
from flask_babel import (
    Babel,
    format_date,
    format_decimal,
    format_time,
    get_locale,
    gettext,
    refresh,
)
from flask_login import current_user
from sqlalchemy.exc import SQLAlchemyError

from webapp.brand_settings import DEFAULTS, settings_of
from webapp.extensions import db
from webapp.translation_marks import Phrase

# The languages with a catalogue under webapp/translations; the first is the source language.
LANGUAGES = ("en", "es", "fr_CA")
# What a brand speaks when nothing else says: the default of `settings.default_language`.
DEFAULT_BRAND_LANGUAGE = DEFAULTS.default_language
LANGUAGE_COOKIE = "lang"
COOKIE_SECONDS = 365 * 24 * 3600

bp = Blueprint("i18n", __name__)


def supported(code):
    """`code` as one of LANGUAGES ("fr-ca" -> "fr_CA"), or None."""
    if not isinstance(code, str):
        return None
    wanted = code.strip().replace("-", "_").lower()
    return next((known for known in LANGUAGES if known.lower() == wanted), None)


def brand_language(brand):
    """The brand's default language (`settings.default_language`), else DEFAULT_BRAND_LANGUAGE."""
    return supported(settings_of(brand).default_language) or DEFAULT_BRAND_LANGUAGE


def _member_choice():
    if not current_user or not current_user.is_authenticated:
        return None
    return supported(getattr(current_user, "locale", None))


def _browser_choice():
    offered = [code.replace("_", "-") for code in LANGUAGES]
    return supported(request.accept_languages.best_match(offered))


def select_locale():
    """The language of this request (Flask-Babel's locale selector)."""
    if request.path.startswith("/admin"):
        return "en"
    cookie = supported(request.cookies.get(LANGUAGE_COOKIE))
    try:
        return _member_choice() or cookie or _browser_choice() or _brand_default()
    except SQLAlchemyError:
        # An error page for a database that failed: the visitor's own words are enough.
        return cookie or _browser_choice() or DEFAULT_BRAND_LANGUAGE


def _brand_default():
    from webapp.tenancy import current_brand

    return brand_language(current_brand())


def language_options():
    """(code, name in its own language, is_current) for the switcher."""
    current = str(get_locale() or DEFAULT_BRAND_LANGUAGE)
    return [(code, _own_name(code), code == current) for code in LANGUAGES]


def _own_name(code):
    """A language's name in itself, capitalised: "Español", "Français (Canada)"."""
    name = Locale.parse(code).get_display_name(code)
    return name[:1].upper() + name[1:]


def html_lang():
    """The page's `lang` attribute: "en", "es", "fr-CA"."""
    return str(get_locale() or DEFAULT_BRAND_LANGUAGE).replace("_", "-")


def _same_site(target):
    """Only a path on this site is a place to go back to."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return "/"
    parts = urlsplit(target)
    return parts.path + (f"?{parts.query}" if parts.query else "")


@bp.post("/language")
def choose():
    """The switcher: remember the language (on the member, and in a cookie) and go back."""
    code = supported(request.form.get("lang"))
    if code is None:
        abort(400)
    if current_user.is_authenticated and getattr(current_user, "locale", None) != code:
        current_user.locale = code
        db.session.commit()
    response = redirect(_same_site(request.form.get("next")), code=303)
    response.set_cookie(
        LANGUAGE_COOKIE, code, max_age=COOKIE_SECONDS, samesite="Lax", httponly=True
    )
    return response


def points_number(value):
    """A whole number of points for this locale: 12,500 (en), 12.500 (es), 12 500 (fr_CA)."""
    return format_decimal(int(value or 0), format="#,##0")


def short_date(value):
    """A date for this locale, e.g. "Dec 2, 2026" or "2 déc. 2026"."""
    return format_date(value, format="medium") if value else ""


def short_datetime(value):
    """A date and time for this locale, e.g. "Dec 2, 2026, 2:05 PM" or "2 déc. 2026, 14 h 05"."""
    if not value:
        return ""
    pattern = get_locale().datetime_formats["medium"]
    return pattern.format(format_time(value, format="short"), format_date(value, format="medium"))


def _vary_on_language(response):
    response.vary.add("Accept-Language")
    response.vary.add("Cookie")
    return response


def register(app):
    """Flask-Babel, the switcher route and the template helpers."""
    Babel(app, locale_selector=select_locale, default_translation_directories="translations")
    # `{% trans %}` blocks collapse their whitespace, as pybabel extracts them (babel.cfg).
    app.jinja_env.policies["ext.i18n.trimmed"] = True
    # Each request chooses afresh (the choice is kept on the app context, which a test
    # client may carry from one request to the next).
    app.before_request(refresh)
    app.register_blueprint(bp)
    app.add_template_global(language_options, "language_options")
    app.add_template_global(html_lang, "html_lang")
    app.add_template_filter(points_number, "points_number")
    app.add_template_filter(short_date, "short_date")
    app.add_template_filter(short_datetime, "short_datetime")
    app.after_request(_vary_on_language)


def _shown(value):
    """A phrase's value in the member's language: a nested phrase translated, a whole number
    with the locale's digit grouping."""
    if isinstance(value, Phrase):
        return translated(value)
    if isinstance(value, int) and not isinstance(value, bool):
        return format_decimal(value)
    return value


def translated(message):
    """A rule's message (marked with `N_`, or a `Phrase` with its values) in the member's
    language; unknown text as it is. An exception reads as the message it was raised with."""
    if isinstance(message, BaseException):
        message = message.args[0] if message.args else ""
    if isinstance(message, Phrase):
        values = {name: _shown(value) for name, value in message.params.items()}
        return gettext(message.template, **values)
    return gettext(str(message)) if message else ""
