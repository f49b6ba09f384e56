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


def font_choices():
    """(key, label) pairs for the brand settings form."""
    return [(key, label) for key, (label, _, _) in BRAND_FONTS.items()]


def brand_font(key):
    """(CSS font stack, URL of the regular weight to preload or None) for a font key."""
    _, family, fallback = BRAND_FONTS[key]
    if family is None:
        return fallback, None
    preload = url_for("static", filename=f"fonts/{key}/{key}-latin-400-normal.woff2")
    return f'"{family}", {fallback}', preload


def register(app):
    """Give templates `brand_font(key)`."""
    app.add_template_global(brand_font, "brand_font")
