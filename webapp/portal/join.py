"""Joining a brand's program with an existing account.

A person has one account on the platform; a brand sees them only once they join its program
here (a consent step: never a side effect of visiting a host).
"""

from flask import abort, flash, redirect, render_template, request
from flask_babel import gettext
from flask_login import current_user, login_required

from webapp.auth.forms import JoinForm, attach_errors, custom_values, with_custom_fields
from webapp.extensions import db
from webapp.loyalty import accounts
from webapp.loyalty.accounts import AccountError
from webapp.loyalty.custom_answers import active_fields
from webapp.portal import bp
from webapp.portal.gate import require_membership
from webapp.portal.pending_scan import claim_pending_scan
from webapp.tenancy import current_brand, current_wallet
from webapp.urls import safe_next

bp.before_request(require_membership)


@bp.route("/join", methods=["GET", "POST"])
@login_required
def join():
    """Join this brand's program with the account you already have."""
    brand = current_brand()
    if brand is None:
        abort(404)
    if current_wallet() is not None:
        return redirect(safe_next(request.args.get("next")), code=303)
    fields = active_fields(brand.id)
    form = with_custom_fields(JoinForm, fields)()
    if form.validate_on_submit():
        try:
            accounts.join_program(
                current_user,
                brand.id,
                date_of_birth=form.date_of_birth.data,
                marketing_consent=form.marketing_consent.data,
                custom_values=custom_values(form, fields),
                accept_terms=form.accept_terms.data,
                ip_address=request.remote_addr,
            )
        except AccountError as error:
            attach_errors(form, error.errors)
        else:
            flash(gettext("Welcome to %(brand)s Rewards!", brand=brand.name), "success")
            claim_pending_scan(current_user)
            db.session.commit()
            return redirect(safe_next(request.args.get("next")), code=303)
    return render_template("portal/join.html", form=form, fields=fields)
