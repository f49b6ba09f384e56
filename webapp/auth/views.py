"""Sign-up, sign in and out, password reset, guest activation and referral links."""

import re

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext
from flask_login import current_user, login_user, logout_user

from webapp.auth import PENDING_SCAN_KEY
from webapp.auth.forms import (
    ForgotPasswordForm,
    LoginForm,
    NewPasswordForm,
    RegisterForm,
    attach_errors,
    custom_values,
    prepare_signup_form,
    with_custom_fields,
)
from webapp.extensions import db
from webapp.loyalty import accounts
from webapp.loyalty.account_sessions import end_every_session
from webapp.loyalty.accounts import AccountError, LinkError
from webapp.loyalty.custom_answers import active_fields
from webapp.loyalty.sign_in_limits import (
    clear_failed_sign_ins,
    new_device_token,
    record_failed_sign_in,
    record_sign_up,
    sign_in_allowed,
    sign_ups_allowed,
    trusted_device,
)
from webapp.tenancy import current_brand
from webapp.translation_marks import N_
from webapp.urls import safe_next

bp = Blueprint("auth", __name__)

TOO_MANY_SIGN_INS = N_(
    "Too many sign-in attempts for this account. Reset your password to sign in right away, "
    "or wait 15 minutes."
)
TOO_MANY_SIGN_UPS = N_("Too many sign-ups from here in the last hour. Please try again later.")
DEVICE_COOKIE = "trusted_device"
DEVICE_COOKIE_SECONDS = 365 * 24 * 60 * 60

REFERRAL_COOKIE = "referral_code"
REFERRAL_COOKIE_SECONDS = 30 * 24 * 60 * 60
REFERRAL_CODE_PATTERN = re.compile(r"^[A-Za-z0-9-]{1,50}$")
RESET_SENT = N_("If that email belongs to an account, we've sent a link to set a new password.")
CONFIRM_FIRST = N_(
    "Please confirm your email first: we've sent you a new link. It signs you in and keeps "
    "anything you were claiming."
)
SIGN_UP_EMAIL_KEY = "sign_up_email"
SIGN_UP_NEXT_KEY = "sign_up_next"


def _brand_id():
    brand = current_brand()
    return brand.id if brand else None


def _sign_in(user):
    login_user(user, remember=True)  # user_logged_in: the portal claims a pending scan
    accounts.start_session(user, _brand_id(), request.remote_addr, request.user_agent.string)
    db.session.commit()


@bp.route("/register", methods=["GET", "POST"])
def register():
    """Sign-up form: age check, consent, custom questions; then "check your email".

    The answer is the same whether or not the email already has an account: a new account
    is confirmed (and signed in) from the emailed link; an existing one's owner is told.
    """
    brand = current_brand()
    if brand is None:
        abort(404)
    if current_user.is_authenticated:
        return redirect(url_for("portal.index"))
    fields = active_fields(brand.id)
    form = with_custom_fields(RegisterForm, fields)(
        referral_code=request.cookies.get(REFERRAL_COOKIE)
    )
    shown = {"form": form, "fields": fields, **prepare_signup_form(form, brand)}
    if form.validate_on_submit():
        if not sign_ups_allowed(request.remote_addr):
            flash(gettext(TOO_MANY_SIGN_UPS), "error")
            return render_template("auth/register.html", **shown), 429
        try:
            accounts.register(
                brand.id,
                **{name: form[name].data for name in accounts.REGISTER_FIELDS},
                custom_values=custom_values(form, fields),
                ip_address=request.remote_addr,
                user_agent=request.user_agent.string,
                pending_code=session.get(PENDING_SCAN_KEY),
            )
        except AccountError as error:
            attach_errors(form, error.errors)
        else:
            db.session.commit()
            record_sign_up(request.remote_addr)
            session[SIGN_UP_EMAIL_KEY] = accounts.normalise_email(form.email.data)
            session[SIGN_UP_NEXT_KEY] = safe_next(request.args.get("next"))
            return redirect(url_for("auth.check_email"), code=303)
    return render_template("auth/register.html", **shown)


@bp.get("/register/check-email")
def check_email():
    """After a sign-up: where the link went, and what to do when it doesn't arrive."""
    return render_template("auth/check_email.html", email=session.get(SIGN_UP_EMAIL_KEY))


@bp.route("/confirm/<token>", methods=["GET", "POST"])
def confirm(token):
    """An emailed confirmation link: GET asks (mail scanners follow links), POST confirms,
    signs in afresh and completes the claim the link carries."""
    try:
        accounts.check_confirmation_token(token)
        if request.method == "GET":
            return render_template("auth/confirm.html", token=token, link_error=None)
        user, code = accounts.confirm_email(token)
    except LinkError as error:
        return render_template("auth/confirm.html", token=None, link_error=str(error)), 400
    waiting = session.get(PENDING_SCAN_KEY) or code
    target = session.get(SIGN_UP_NEXT_KEY) or url_for("portal.index")
    session.clear()  # whatever this browser carried before belongs to no one now
    if waiting:
        session[PENDING_SCAN_KEY] = waiting
        target = url_for("portal.claim", code=waiting)
    _sign_in(user)  # flashes the claim's result first: it is what the person came for
    flash(gettext("Welcome, %(name)s! Your email is confirmed.", name=user.display_name), "success")
    return redirect(target, code=303)


@bp.route("/login", methods=["GET", "POST"])
def login():
    """Email and password sign-in; one message for every failure (no enumeration)."""
    form = LoginForm()
    if form.validate_on_submit():
        email, ip_address = form.email.data, request.remote_addr
        device = trusted_device(request.cookies.get(DEVICE_COOKIE), email)
        if not sign_in_allowed(email, ip_address, device):
            flash(gettext(TOO_MANY_SIGN_INS), "error")
            return render_template("auth/login.html", form=form), 429
        user = accounts.authenticate(email, form.password.data)
        if user and accounts.awaits_confirmation(user):
            accounts.resend_confirmation(user, _brand_id(), session.get(PENDING_SCAN_KEY))
            db.session.commit()
            flash(gettext(CONFIRM_FIRST), "info")
            return render_template("auth/login.html", form=form)
        if user:
            _sign_in(user)
            response = redirect(safe_next(request.args.get("next")), code=303)
            return _remember_device(response, email)
        record_failed_sign_in(email, ip_address, device)
        flash(gettext("That email and password don't match an account."), "error")
    return render_template("auth/login.html", form=form)


def _remember_device(response, email):
    """Mark this browser as one that signed in to `email` (its failures count on their own)."""
    response.set_cookie(
        DEVICE_COOKIE,
        new_device_token(email),
        max_age=DEVICE_COOKIE_SECONDS,
        httponly=True,
        samesite="Lax",
        secure=current_app.config.get("SESSION_COOKIE_SECURE", False),
    )
    return response


@bp.post("/logout")
def logout():
    """Sign out (POST only, so a link can't sign anyone out)."""
    if current_user.is_authenticated:
        user = current_user._get_current_object()
        end_every_session(user)
        accounts.end_session(user, _brand_id(), request.remote_addr, request.user_agent.string)
        db.session.commit()
    logout_user()
    flash(gettext("You're signed out."), "success")
    return redirect(url_for("portal.index"), code=303)


@bp.route("/password/forgot", methods=["GET", "POST"])
def forgot_password():
    """Ask for a reset link; the answer is the same whether or not the email is known."""
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        accounts.request_password_reset(form.email.data, _brand_id())
        db.session.commit()
        flash(gettext(RESET_SENT), "info")
        return redirect(url_for("auth.forgot_password"), code=303)
    return render_template("auth/forgot_password.html", form=form)


def _new_password_page(token, check, apply, template):
    """Shared flow of the reset and activation links: check, ask, apply."""
    try:
        check(token)
    except LinkError as error:
        return render_template(template, form=None, link_error=str(error)), 400
    form = NewPasswordForm()
    if form.validate_on_submit():
        try:
            return apply(token, form.password.data)
        except LinkError as error:
            return render_template(template, form=None, link_error=str(error)), 400
        except AccountError as error:
            attach_errors(form, error.errors)
    return render_template(template, form=form, link_error=None)


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
def reset_password(token):
    """Set a new password from an emailed link."""

    def apply(token, password):
        user = accounts.reset_password(token, password)
        db.session.commit()
        clear_failed_sign_ins(user.email)
        flash(gettext("Your password is set. Please sign in."), "success")
        return redirect(url_for("auth.login"), code=303)

    return _new_password_page(token, accounts.check_reset_token, apply, "auth/reset_password.html")


@bp.route("/activate/<token>", methods=["GET", "POST"])
def activate(token):
    """A guest sets a password and becomes a full member."""

    def apply(token, password):
        user = accounts.activate_guest(token, password)
        session.clear()  # whatever this browser carried before belongs to no one now
        _sign_in(user)
        flash(gettext("Your account is active. Welcome!"), "success")
        return redirect(url_for("portal.index"), code=303)

    return _new_password_page(token, accounts.check_activation_token, apply, "auth/activate.html")


@bp.get("/r/<code>")
def referral_link(code):
    """Remember a friend's referral code for 30 days, then show the sign-up form."""
    response = redirect(url_for("auth.register"))
    if REFERRAL_CODE_PATTERN.match(code):
        response.set_cookie(
            REFERRAL_COOKIE,
            code.upper(),
            max_age=REFERRAL_COOKIE_SECONDS,
            httponly=True,
            samesite="Lax",
            secure=current_app.config.get("SESSION_COOKIE_SECURE", False),
        )
    return response
