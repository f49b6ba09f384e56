"""What the platform writes to a person about their account: links to set a password, to
confirm an email, and word that someone signed up with their email. Each is a Customer.io
event of the one brand allowed to carry it (the outbox logs it when no workspace is set)."""

import logging
from urllib.parse import urlsplit

from flask import current_app
from sqlalchemy import select

from webapp.events.outbox import record_event
from webapp.extensions import db
from webapp.loyalty import account_links
from webapp.loyalty.membership import is_member, member_brand_ids
from webapp.models import BrandHost, BrandStaff

log = logging.getLogger(__name__)

CONFIRMATION_EVENT = "email_confirmation_requested"
ACCOUNT_EXISTS_EVENT = "sign_up_with_existing_email"


def message_brand_for(user, requested_brand_id):
    """The brand whose workspace may carry a secret (a reset or activation link) to `user`.

    Staff hear through their own brand; members through the requested brand when they are
    its member, else the brand they signed up with, else their oldest membership. Never
    through a brand the request merely arrived on. None when no brand may.
    """
    staff_brand = db.session.scalar(
        select(BrandStaff.brand_id).where(BrandStaff.user_id == user.id).order_by(BrandStaff.id)
    )
    if staff_brand is not None:
        return staff_brand
    if requested_brand_id is not None and is_member(user.id, requested_brand_id):
        return requested_brand_id
    if user.signup_brand_id is not None and is_member(user.id, user.signup_brand_id):
        return user.signup_brand_id
    memberships = member_brand_ids(user.id)
    return memberships[0] if memberships else None


def link_base(brand_id, public_url=None):
    """Where a link for `brand_id` points: `public_url` when given, else the brand's first host
    (with PUBLIC_URL's scheme), else PUBLIC_URL. Never the host a request merely arrived on."""
    if public_url:
        return public_url.rstrip("/")
    platform = current_app.config["PUBLIC_URL"].rstrip("/")
    host = db.session.scalar(
        select(BrandHost.host).where(BrandHost.brand_id == brand_id).order_by(BrandHost.id)
    )
    return f"{urlsplit(platform).scheme}://{host}" if host else platform


def send_link(user, event_name, requested_brand_id, path, public_url=None):
    """Record `event_name` carrying a link to `path` in the one brand allowed to write to
    `user`, on that brand's own host."""
    brand_id = message_brand_for(user, requested_brand_id)
    if brand_id is None:
        log.warning("no brand may send %s to user %s; nothing sent", event_name, user.id)
        return
    link = link_base(brand_id, public_url) + path
    # Without Customer.io, the outbox logs the link for an operator to pass on.
    record_event(user, event_name, brand_id=brand_id, context={"link": link})


def send_activation_link(user, brand_id, public_url=None):
    """Record `guest_activation_requested` with a 7-day link to set a password."""
    token = account_links.make_token(user, account_links.ACTIVATION_SALT)
    send_link(user, "guest_activation_requested", brand_id, f"/activate/{token}", public_url)


def _hears_through(user, brand_id):
    """True when `brand_id` may write to `user` about their account: they are its member or
    its staff. No other brand's workspace learns that they tried to sign up here."""
    if is_member(user.id, brand_id):
        return True
    staff = select(BrandStaff.id).where(BrandStaff.user_id == user.id)
    return db.session.scalar(staff.where(BrandStaff.brand_id == brand_id)) is not None


def tell_owner_of_sign_up(user, brand_id, public_url):
    """Someone signed up with an email that has an account: tell its owner how to get in.

    A guest (or a sign-up never confirmed) gets a link to set a password, which also takes
    the account back from whoever typed their email; a full account gets links to sign in
    and to reset the password. Nothing is sent through a brand the owner has not joined.
    """
    if not user.is_active or not _hears_through(user, brand_id):
        log.info("sign-up with the email of user %s; no brand may tell them", user.id)
        return
    if user.is_guest:
        send_activation_link(user, brand_id, public_url)
        return
    public_url = link_base(brand_id, public_url)
    token = account_links.make_token(user, account_links.RESET_SALT)
    link = f"{public_url}/password/reset/{token}"
    record_event(
        user, ACCOUNT_EXISTS_EVENT, brand_id=brand_id,
        context={"link": link, "sign_in_link": f"{public_url}/login"},
    )  # fmt: skip


def send_confirmation_link(user, brand_id, public_url=None, pending_code=None):
    """Record `email_confirmation_requested` with a 7-day link that confirms and signs in
    (carrying the scan code the person was claiming, if any)."""
    token = account_links.make_token(user, account_links.CONFIRMATION_SALT, pending_code)
    send_link(user, CONFIRMATION_EVENT, brand_id, f"/confirm/{token}", public_url)
