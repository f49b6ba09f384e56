"""What the portal says about a rule's outcome, in the member's language.

The rules return English messages marked with `N_`; these helpers translate them where
they are shown, and word the outcomes whose message carries names and numbers.
"""

from flask_babel import format_decimal, gettext, lazy_gettext

from webapp.i18n import points_number

RARITY_NAMES = {
    "common": lazy_gettext("Common"),
    "uncommon": lazy_gettext("Uncommon"),
    "rare": lazy_gettext("Rare"),
    "epic": lazy_gettext("Epic"),
    "legendary": lazy_gettext("Legendary"),
}


def translated(message):
    """A rule's message (marked with `N_`) in the member's language; unknown text as it is."""
    return gettext(str(message)) if message else ""


def scan_message(result):
    """What a scan did, for the flash or the result card."""
    if result.outcome != "awarded":
        return translated(result.message)
    parts = [
        gettext(
            "You earned %(points)s points for %(product)s.",
            points=points_number(result.points),
            product=result.product.name,
        )
    ]
    if result.new_rank_name:
        parts.append(gettext("Welcome to %(rank)s!", rank=result.new_rank_name))
    if result.unlocked:
        names = ", ".join(unlock.name for unlock in result.unlocked)
        parts.append(gettext("Unlocked: %(name)s", name=names) + ".")
    return " ".join(parts)


def rarity_name(rarity):
    """An achievement's rarity as the member reads it: "rare" -> "Rare" ("Rara")."""
    return str(RARITY_NAMES.get(rarity, str(rarity or "").capitalize()))


def multiplier(value):
    """A rank's multiplier for this locale: 1.25 (en), 1,25 (es, fr_CA)."""
    return format_decimal(float(value or 0), format="0.00")


def register(app):
    """Give templates scan_message(), rarity_name() and the `multiplier` filter."""
    app.add_template_global(translated, "translated")
    app.add_template_global(scan_message, "scan_message")
    app.add_template_global(rarity_name, "rarity_name")
    app.add_template_filter(multiplier, "multiplier")
