"""Pictures for the demo, drawn with Pillow (nothing is downloaded): a studio shot of each
product's pack in the colour of its strain type, and a light logo for the dark header."""

import io
import math

from PIL import Image, ImageDraw, ImageFilter, ImageFont
from sqlalchemy import select
from sqlalchemy.orm.attributes import flag_modified

from webapp.brand_settings import settings_of
from webapp.extensions import db
from webapp.media import BRAND_LOGO, PRODUCT_PHOTO, store_image
from webapp.models import Product

SIZE = 960
# Backdrop and pack colours by strain type (rewards and unknown types share the last one).
PALETTES = {
    "Indica": ((236, 228, 244), (88, 54, 130)),
    "Sativa": ((246, 238, 222), (196, 112, 38)),
    "Hybrid": ((226, 240, 232), (31, 95, 63)),
    None: ((242, 236, 222), (40, 52, 48)),
}
CREAM = (247, 245, 239)
LEAFLETS = (0.45, 0.7, 0.9, 1.0, 0.9, 0.7, 0.45)  # leaflet lengths, left to right
GOLD = (200, 161, 58)


def _font(size):
    return ImageFont.load_default(size=size)


def _backdrop(light):
    """A soft studio sweep: lighter at the top, a floor shadow in the middle."""
    image = Image.new("RGB", (SIZE, SIZE), light)
    draw = ImageDraw.Draw(image)
    for y in range(SIZE):
        shade = 1 - 0.12 * (y / SIZE)
        draw.line([(0, y), (SIZE, y)], fill=tuple(int(c * shade) for c in light))
    return image


def _shadow(image, box):
    shadow = Image.new("L", image.size, 0)
    ImageDraw.Draw(shadow).ellipse(box, fill=110)
    shadow = shadow.filter(ImageFilter.GaussianBlur(28))
    image.paste((0, 0, 0), mask=shadow.point(lambda v: v * 0.55))


def _label(draw, box, line, name, colour):
    """The pack's label: the product line small, the name large, a gold rule between."""
    left, top, right, _ = box
    width = right - left
    draw.text(((left + right) / 2, top), line.upper(), font=_font(30), fill=GOLD, anchor="ma")
    draw.line([(left + width * 0.3, top + 50), (right - width * 0.3, top + 50)], fill=GOLD, width=3)
    size = 46 if width > 300 else 36
    words, rows = name.split(), [""]
    for word in words:
        candidate = f"{rows[-1]} {word}".strip()
        if _font(size).getlength(candidate) <= width * 0.86:
            rows[-1] = candidate
        else:
            rows.append(word)
    for index, row in enumerate(rows[:4]):
        y = top + 78 + index * (size + 10)
        draw.text(((left + right) / 2, y), row, font=_font(size), fill=colour, anchor="ma")


def _leaf(draw, centre, size, colour):
    """A seven-leaflet cannabis leaf standing on its stem at `centre`."""
    x, y = centre
    for angle, length in zip(range(-90, 91, 30), LEAFLETS, strict=True):
        tip = math.radians(angle)
        reach, half_width = size * length, size * 0.11 * length
        points = []
        for step in range(13):
            t = step / 12
            along, across = reach * t, half_width * math.sin(math.pi * t)
            points.append((along, across))
        points += [(along, -across) for along, across in reversed(points)]
        sin, cos = math.sin(tip), math.cos(tip)
        outline = [(x + a * sin + c * cos, y - a * cos + c * sin) for a, c in points]
        draw.polygon(outline, fill=colour)
    draw.line([(x, y), (x, y + size * 0.35)], fill=colour, width=max(2, int(size * 0.05)))


def _pack(draw, form, dark):
    """The pack's silhouette for the product form; returns the label's box."""
    if form == "Vape Cartridge":
        draw.rounded_rectangle([360, 150, 600, 810], radius=40, fill=dark)
        draw.rectangle([440, 90, 520, 160], fill=(60, 60, 60))
        return (370, 380, 590, 800)
    if form == "Flower":
        draw.rounded_rectangle([250, 220, 710, 800], radius=70, fill=dark)
        draw.rounded_rectangle([230, 160, 730, 250], radius=30, fill=(34, 34, 34))
        return (270, 400, 690, 790)
    if form == "Concentrate":
        draw.rounded_rectangle([230, 380, 730, 760], radius=120, fill=dark)
        return (250, 470, 710, 760)
    if form == "Edible":
        draw.polygon([(260, 200), (700, 200), (740, 810), (220, 810)], fill=dark)
        draw.rectangle([260, 200, 700, 250], fill=tuple(min(255, c + 40) for c in dark))
        return (260, 400, 700, 800)
    if form == "Tee":
        draw.polygon(
            [(330, 170), (400, 150), (480, 200), (560, 150), (630, 170), (790, 290), (720, 390),
             (660, 350), (660, 810), (300, 810), (300, 350), (240, 390), (170, 290)],
            fill=dark,
        )  # fmt: skip
        return (310, 440, 650, 800)
    if form == "Battery":
        draw.rounded_rectangle([400, 130, 560, 820], radius=30, fill=dark)
        draw.rectangle([400, 700, 560, 730], fill=GOLD)
        return (405, 380, 555, 690)
    if form == "Hat":
        draw.chord([250, 260, 710, 760], 180, 360, fill=dark)
        draw.rounded_rectangle([200, 490, 800, 560], radius=30, fill=tuple(c // 2 for c in dark))
        return (290, 330, 670, 480)
    draw.rounded_rectangle([230, 200, 730, 800], radius=60, fill=dark)
    return (250, 420, 710, 790)


def product_photo(name, form, strain_type, line):
    """PNG bytes of a studio shot of the product's pack."""
    light, dark = PALETTES.get(strain_type, PALETTES[None])
    image = _backdrop(light)
    _shadow(image, (200, 770, 760, 860))
    draw = ImageDraw.Draw(image)
    label_box = _pack(draw, form, dark)
    _leaf(draw, ((label_box[0] + label_box[2]) / 2, label_box[1] - 120), 110, GOLD)
    _label(draw, label_box, line or form or "Green Harbor", name, CREAM)
    buffer = io.BytesIO()
    image.save(buffer, "PNG", optimize=False, compress_level=1)
    return buffer.getvalue()


def brand_logo(name):
    """PNG bytes of a light word mark with a gold leaf, on transparency, for a dark header."""
    font = _font(88)
    text_width = int(font.getlength(name))
    image = Image.new("RGBA", (text_width + 170, 160), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    _leaf(draw, (70, 78), 110, GOLD + (255,))
    draw.text((150, 80), name, font=font, fill=CREAM + (255,), anchor="lm")
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


REWARD_SHAPES = {"GH-RW-TEE": "Tee", "GH-RW-BAT": "Battery", "GH-RW-HAT": "Hat"}


def add_demo_pictures(brand):
    """Give every demo product without a photo its drawn one, and the brand its logo, through
    the same checks and resizing as a staff upload; not committed."""
    products = db.session.scalars(
        select(Product).where(Product.brand_id == brand.id, Product.image_url.is_(None))
    )
    for product in products:
        form = REWARD_SHAPES.get(product.sku, product.product_form)
        line = "Rewards" if product.points_cost else product.product_line
        picture = product_photo(product.name, form, product.strain_type, line)
        product.image_url = store_image(picture, brand.id, PRODUCT_PHOTO)
    if not settings_of(brand).logo:
        brand.settings = {
            **(brand.settings or {}),
            "logo": store_image(brand_logo(brand.name), brand.id, BRAND_LOGO),
        }
        flag_modified(brand, "settings")
