"""`N_` marks a message for the catalogues where it is written; it is translated where shown.

Rules in `webapp/loyalty/` return English messages marked this way; the portal passes them
through `gettext` when it shows them, so the rules never depend on a request's language.
"""


def N_(message):  # noqa: N802  (the gettext convention's name)
    """`message` itself; pybabel extracts it."""
    return message
