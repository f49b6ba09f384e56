"""What the portal says about a rule's outcome, in the member's language.

The rules return English messages marked with `N_`; these helpers translate them where
they are shown, and word the outcomes whose message carries names and numbers.
"""

from flask_babel import format_decimal, gettext, lazy_gettext

from webapp.i18n import points_number, translated  # noqa: F401  (the portal's name for it)

RARITY_NAMES = {
    "common": lazy_gettext("Common"),
    "uncommon": lazy_gettext("Uncommon"),
    "rare": lazy_gettext("Rare"),
    "epic": lazy_gettext("Epic"),
    "legendary": lazy_gettext("Legendary"),
}

CONSENT_CHANNEL_NAMES = {
    "email": lazy_gettext("Email offers"),
    "sms": lazy_gettext("Text messages"),
    "loyalty_terms": lazy_gettext("Program terms"),
    "privacy": lazy_gettext("Privacy policy"),
}
CONSENT_SOURCE_NAMES = {
    "registration": lazy_gettext("Sign-up"),
    "join": lazy_gettext("Joining the program"),
    "profile": lazy_gettext("Your profile"),
    "webhook": lazy_gettext("Unsubscribe link or text reply"),
    "staff": lazy_gettext("Our team"),
}


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
    if result.campaign_name:
        parts.append(
            gettext(
                "%(campaign)s: +%(points)s",
                campaign=result.campaign_name,
                points=points_number(result.campaign_points),
            )
        )
    if result.cap_note:
        parts.append(translated(result.cap_note))
    if result.new_rank_name:
        parts.append(gettext("Welcome to %(rank)s!", rank=result.new_rank_name))
    if result.unlocked:
        names = ", ".join(unlock.name for unlock in result.unlocked)
        parts.append(gettext("Unlocked: %(name)s", name=names) + ".")
    return " ".join(parts)


def rarity_name(rarity):
    """An achievement's rarity as the member reads it: "rare" -> "Rare" ("Rara")."""
    return str(RARITY_NAMES.get(rarity, str(rarity or "").capitalize()))


def consent_channel_name(channel):
    """A consent channel as the member reads it: "sms" -> "Text messages"."""
    return str(CONSENT_CHANNEL_NAMES.get(channel, channel))


def consent_source_name(source):
    """Where a consent decision was made, as the member reads it: "registration" -> "Sign-up"."""
    return str(CONSENT_SOURCE_NAMES.get(source, source))


def multiplier(value):
    """A rank's multiplier for this locale: 1.25 (en), 1,25 (es, fr_CA)."""
    return format_decimal(float(value or 0), format="0.00")


def register(app):
    """Give templates scan_message(), rarity_name(), the consent names and the `multiplier`
    filter."""
    app.add_template_global(translated, "translated")
    app.add_template_global(scan_message, "scan_message")
    app.add_template_global(rarity_name, "rarity_name")
    app.add_template_global(consent_channel_name, "consent_channel_name")
    app.add_template_global(consent_source_name, "consent_source_name")
    app.add_template_filter(multiplier, "multiplier")
