"""The PWA files: offline page, robots.txt, the web app manifest and the service worker."""

from flask import current_app, render_template, send_from_directory, url_for

from webapp.brand_settings import settings_of
from webapp.portal import bp
from webapp.tenancy import current_brand


@bp.get("/offline")
def offline():
    """Shown by the service worker when the network is gone."""
    return render_template("portal/offline.html")


MANIFEST_SCREENSHOTS = (("dashboard", "Your points and the next reward"), ("rewards", "Rewards"))


def _description(brand):
    name = brand.name if brand else "CannaRewards"
    tagline = settings_of(brand).tagline
    return (
        f"{tagline} Scan the code on every {name} pack to earn points and redeem rewards.".strip()
    )


@bp.get("/robots.txt")
def robots():
    """Crawlers may read the public pages; member and staff pages are private."""
    lines = [
        "User-agent: *",
        "Disallow: /admin/",
        "Disallow: /profile",
        "Disallow: /s/",
        "Allow: /",
    ]
    response = current_app.response_class("\n".join(lines) + "\n", mimetype="text/plain")
    response.headers["Cache-Control"] = "public, max-age=86400"
    return response


@bp.get("/manifest.webmanifest")
def manifest():
    """The web app manifest, coloured and named for the brand."""
    brand = current_brand()
    theme = settings_of(brand).theme
    name = brand.name if brand else "CannaRewards"
    body = {
        "id": "/",
        "name": f"{name} Rewards",
        "short_name": name,
        "description": _description(brand),
        "start_url": url_for("portal.index"),
        "scope": "/",
        "display": "standalone",
        "background_color": theme.background,
        "theme_color": theme.primary,
        "icons": [
            {
                "src": url_for("static", filename="icons/icon-192.png"),
                "sizes": "192x192",
                "type": "image/png",
            },
            {
                "src": url_for("static", filename="icons/icon-512.png"),
                "sizes": "512x512",
                "type": "image/png",
            },
            {
                "src": url_for("static", filename="icons/icon-maskable-512.png"),
                "sizes": "512x512",
                "type": "image/png",
                "purpose": "maskable",
            },
        ],
        "screenshots": [
            {
                "src": url_for("static", filename=f"screenshots/{shot}.png"),
                "sizes": "360x740",
                "type": "image/png",
                "form_factor": "narrow",
                "label": label,
            }
            for shot, label in MANIFEST_SCREENSHOTS
        ],
    }
    response = current_app.json.response(body)
    response.mimetype = "application/manifest+json"
    return response


@bp.get("/sw.js")
def service_worker():
    """The service worker, served from the root so its scope is the whole site."""
    response = send_from_directory(current_app.static_folder, "sw.js", max_age=0)
    response.headers["Service-Worker-Allowed"] = "/"
    response.headers["Cache-Control"] = "no-cache"
    return response
