"""Security headers on every answer: a strict CSP, no framing, no sniffing, no stored pages
with personal data, HSTS when the public URL is https."""

import secrets

from flask import current_app, g, request, session

# Pages whose URL or content is personal even to a signed-out visitor (links carry tokens).
PERSONAL_PREFIXES = ("/admin", "/password/reset/", "/activate/", "/confirm/", "/profile")
CACHEABLE_ENDPOINTS = {
    "static",
    "media.media_file",
    "portal.service_worker",
    "portal.manifest",
    "portal.offline",
}


def csp_nonce():
    """This response's nonce for the one inline <style> (brand colours)."""
    if "csp_nonce" not in g:
        g.csp_nonce = secrets.token_urlsafe(16)
    return g.csp_nonce


def content_security_policy():
    """Scripts only from our own files; styles from our files and the nonced theme block."""
    return "; ".join(
        [
            "default-src 'self'",
            "script-src 'self'",
            f"style-src 'self' 'nonce-{csp_nonce()}'",
            "img-src 'self' data: https:",
            "media-src 'self' blob:",
            "connect-src 'self'",
            "object-src 'none'",
            "base-uri 'self'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )


def _personal():
    if request.endpoint in CACHEABLE_ENDPOINTS:
        return False
    if request.path.startswith(PERSONAL_PREFIXES):
        return True
    # Whether someone is signed in, from the session alone: the member's row may be what the
    # database could not give (a lost connection), and no header is worth a second failure.
    return "_user_id" in session


def add_security_headers(response):
    """Set the headers on `response`."""
    headers = response.headers
    headers["Content-Security-Policy"] = content_security_policy()
    headers["X-Content-Type-Options"] = "nosniff"
    headers["X-Frame-Options"] = "DENY"
    headers["Referrer-Policy"] = "same-origin"
    headers["Cross-Origin-Opener-Policy"] = "same-origin"
    headers["Permissions-Policy"] = "camera=(self), microphone=(), geolocation=()"
    if current_app.config["PUBLIC_URL"].startswith("https://"):
        headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
    if _personal():
        headers["Cache-Control"] = "no-store"
    return response


def forget_nonce():
    """A new nonce for every request."""
    g.pop("csp_nonce", None)


def register(app):
    """Install the headers and the template's nonce."""
    app.before_request(forget_nonce)
    app.after_request(add_security_headers)
    app.jinja_env.globals["csp_nonce"] = csp_nonce
