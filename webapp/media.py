"""Staff-uploaded images (product photos, brand logos): checked with Pillow, resized to a few
widths as WebP, stored under MEDIA_FOLDER with content-hashed names and served from /media/
with long cache headers (a new picture gets a new name, so a cached one never goes stale)."""

import hashlib
import io
import re
import warnings
from dataclasses import dataclass
from pathlib import Path

from flask import Blueprint, abort, current_app, send_from_directory
from PIL import Image, ImageOps, UnidentifiedImageError

bp = Blueprint("media", __name__)

ALLOWED_FORMATS = {"JPEG": "JPEG", "PNG": "PNG", "WEBP": "WebP"}
WIDTHS = (160, 320, 640)
MAX_SIDE = 8000
CACHE_SECONDS = 365 * 24 * 60 * 60
_NAME = re.compile(r"^(?P<stem>.+)-(?P<width>\d+)\.webp$")


class MediaError(ValueError):
    """An upload that is not a usable image; the message says why, for the person."""


@dataclass(frozen=True)
class ImageKind:
    """What an upload is for: its folder, the smallest acceptable size, square or not."""

    folder: str
    min_width: int
    min_height: int
    square: bool


PRODUCT_PHOTO = ImageKind("products", 320, 320, square=True)
BRAND_LOGO = ImageKind("logos", 120, 32, square=False)


def _megabytes(size):
    return f"{size / (1024 * 1024):.1f} MB"


def open_checked(data, kind):
    """The uploaded bytes as a Pillow image, or MediaError saying what is wrong with them."""
    limit = current_app.config["MEDIA_MAX_BYTES"]
    if not data:
        raise MediaError("Choose a picture to upload.")
    if len(data) > limit:
        raise MediaError(f"That file is {_megabytes(len(data))}; the limit is {_megabytes(limit)}.")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            image.verify()  # a truncated or corrupt file fails here
            image = Image.open(io.BytesIO(data))
            image.load()
    except (UnidentifiedImageError, Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise MediaError(
            "That file is not a picture we can read: use a JPEG, PNG or WebP."
        ) from None
    except (OSError, SyntaxError, ValueError):
        raise MediaError("That picture is damaged or incomplete: try exporting it again.") from None
    if image.format not in ALLOWED_FORMATS:
        raise MediaError(f"{image.format} pictures are not accepted: use a JPEG, PNG or WebP.")
    width, height = image.size
    if width > MAX_SIDE or height > MAX_SIDE:
        raise MediaError(
            f"That picture is {width}x{height} px; the largest allowed is {MAX_SIDE} px a side."
        )
    if width < kind.min_width or height < kind.min_height:
        raise MediaError(
            f"That picture is {width}x{height} px; it needs at least "
            f"{kind.min_width}x{kind.min_height} px to look sharp."
        )
    return ImageOps.exif_transpose(image)


def _folder():
    return Path(current_app.config["MEDIA_FOLDER"])


def _resized(image, kind, width):
    has_alpha = image.mode in ("RGBA", "LA") or "transparency" in image.info
    image = image.convert("RGBA" if has_alpha else "RGB")
    if kind.square:
        return ImageOps.fit(image, (width, width), Image.Resampling.LANCZOS)
    height = max(1, round(image.height * width / image.width))
    return image.resize((width, height), Image.Resampling.LANCZOS)


def store_image(data, brand_id, kind):
    """Check the upload, write it at every width of WIDTHS; returns the largest one's URL."""
    image = open_checked(data, kind)
    stem = f"brand-{brand_id}/{kind.folder}/{hashlib.sha256(data).hexdigest()[:20]}"
    target = _folder() / stem
    target.parent.mkdir(parents=True, exist_ok=True)
    for width in WIDTHS:
        path = target.with_name(f"{target.name}-{width}.webp")
        if not path.exists():
            buffer = io.BytesIO()
            _resized(image, kind, width).save(buffer, "WEBP", quality=82, method=2)
            path.write_bytes(buffer.getvalue())
    return f"/media/{stem}-{WIDTHS[-1]}.webp"


def upload_from(field, brand_id, kind):
    """Store the file sent in a form's FileField; its URL, or None when no file was chosen.
    A file that is not a usable image puts the reason on the field and raises MediaError."""
    upload = field.data
    if upload is None or not getattr(upload, "filename", ""):
        return None
    try:
        return store_image(upload.read(), brand_id, kind)
    except MediaError as error:
        field.errors = [*field.errors, str(error)]
        raise


def allow_uploads(app, endpoints):
    """Let `endpoints` take a picture: bodies up to MEDIA_MAX_BYTES plus a form's worth (the
    request caps in `webapp.input_limits` read this list; others keep their route's cap)."""
    app.config["UPLOAD_ENDPOINTS"] = frozenset(endpoints)


def upload_limit(app):
    """The largest body a picture form may send."""
    return app.config["MEDIA_MAX_BYTES"] + 256 * 1024


def srcset(url):
    """The `srcset` of a stored image's URL (every width), or "" for any other URL."""
    match = _NAME.match(url or "")
    if not match or not url.startswith("/media/"):
        return ""
    return ", ".join(f"{match['stem']}-{width}.webp {width}w" for width in WIDTHS)


def sized(url, width):
    """The URL of a stored image at `width` (the URL itself when it is not a stored image)."""
    match = _NAME.match(url or "")
    if not match or not url.startswith("/media/") or width not in WIDTHS:
        return url
    return f"{match['stem']}-{width}.webp"


@bp.get("/media/<path:filename>")
def media_file(filename):
    """A stored image, cached for a year (its name changes when the picture does)."""
    if not _NAME.match(filename):
        abort(404)
    response = send_from_directory(_folder(), filename, max_age=CACHE_SECONDS)
    response.cache_control.public = True
    response.cache_control.immutable = True
    return response


def register(app):
    """Serve /media/ and give templates `srcset` and `sized`."""
    app.register_blueprint(bp)
    app.add_template_filter(srcset, "srcset")
    app.add_template_filter(sized, "sized")
