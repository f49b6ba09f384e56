"""The brand font: one of a short list of bundled open-licence fonts (static/fonts/), or the
device's own; templates get its CSS font stack and the file worth preloading."""

from flask import url_for

FALLBACK = 'system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif'
SERIF_FALLBACK = 'Georgia, "Times New Roman", serif'
# key: (label for staff, CSS family or None for the device's font, fallback stack)
BRAND_FONTS = {
    "inter": ("Inter (clean, modern)", "Inter", FALLBACK),
    "dm-sans": ("DM Sans (friendly, rounded)", "DM Sans", FALLBACK),
    "lora": ("Lora (classic serif)", "Lora", SERIF_FALLBACK),
    "system": ("The device's own font", None, FALLBACK),
}
DEFAULT_FONT = "inter"
WEIGHTS = (400, 700)
# The latin subset the bundled files hold (licences beside the files, SIL OFL 1.1).
LATIN_RANGE = (
    "U+0000-00FF, U+0131, U+0152-0153, U+02BB-02BC, U+02C6, U+02DA, U+02DC, U+0304, U+0308, "
    "U+0329, U+2000-206F, U+20AC, U+2122, U+2191, U+2193, U+2212, U+2215, U+FEFF, U+FFFD"
)


def font_choices():
    """(key, label) pairs for the brand settings form."""
    return [(key, label) for key, (label, _, _) in BRAND_FONTS.items()]


def brand_font(key):
    """(CSS font stack, URL of the regular weight to preload or None) for a font key."""
    _, family, fallback = BRAND_FONTS[key]
    if family is None:
        return fallback, None
    return f'"{family}", {fallback}', _file(key, 400)


def brand_font_faces(key):
    """The @font-face rules of the brand's font (none for the device's own), written into the
    page's own style block: no stylesheet to wait for before the first paint."""
    _, family, _ = BRAND_FONTS[key]
    if family is None:
        return ""
    return "\n".join(
        f'@font-face {{ font-family: "{family}"; font-style: normal; font-weight: {weight}; '
        f'font-display: swap; src: url("{_file(key, weight)}") format("woff2"); '
        f"unicode-range: {LATIN_RANGE}; }}"
        for weight in WEIGHTS
    )


def _file(key, weight):
    return url_for("static", filename=f"fonts/{key}/{key}-latin-{weight}-normal.woff2")


def register(app):
    """Give templates `brand_font(key)` and `brand_font_faces(key)`."""
    app.add_template_global(brand_font, "brand_font")
    app.add_template_global(brand_font_faces, "brand_font_faces")
