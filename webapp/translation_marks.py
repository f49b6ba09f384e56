"""`N_` marks a message for the catalogues where it is written; it is translated where shown.

Rules in `webapp/loyalty/` return English messages marked this way; the portal passes them
through `gettext` when it shows them, so the rules never depend on a request's language.
"""


def N_(message):  # noqa: N802  (the gettext convention's name)
    """`message` itself; pybabel extracts it."""
    return message


class Phrase(str):
    """A marked message with its values: reads as the English text, and keeps the template
    and the values so the portal can translate the template and fill the values after."""

    def __new__(cls, template, **params):
        english = {name: _english(value) for name, value in params.items()}
        phrase = super().__new__(cls, template % english if params else template)
        phrase.template, phrase.params = template, params
        return phrase


def _english(value):
    """A value as the English text shows it: whole numbers with thousands commas."""
    return f"{value:,}" if isinstance(value, int) and not isinstance(value, bool) else value
