"""Accessibility checks run inside the page: labels, tap targets, visible focus, contrast.

Each check returns a list of readable problems (empty when the page passes), so a failing
test names the element and the measured value.
"""

# An element counts as visible when it has a box, is not `visibility: hidden`, is not clipped
# to a pixel (the `.visually-hidden` pattern) and lies at least partly inside the document.
_VISIBLE = """
const describe = (el) => {
  const id = el.id ? '#' + el.id : '';
  const cls = typeof el.className === 'string' && el.className.trim()
    ? '.' + el.className.trim().split(/\\s+/).join('.') : '';
  const text = (el.innerText || el.value || el.getAttribute('aria-label') || '').trim();
  return `${el.tagName.toLowerCase()}${id}${cls} "${text.slice(0, 30)}"`;
};
const isVisible = (el) => {
  const box = el.getBoundingClientRect();
  if (box.width <= 1 || box.height <= 1) return false;
  if (box.bottom + window.scrollY <= 0 || box.right + window.scrollX <= 0) return false;
  const style = getComputedStyle(el);
  return style.visibility !== 'hidden' && style.display !== 'none';
};
"""

LABELS = (
    "() => {"
    + _VISIBLE
    + """
  const unlabelled = [];
  const skip = new Set(['hidden', 'submit', 'button', 'reset', 'image']);
  for (const el of document.querySelectorAll('input, select, textarea')) {
    if (skip.has(el.type) || !isVisible(el)) continue;
    const byLabel = [...el.labels].some((label) => label.textContent.trim());
    const byAria = (el.getAttribute('aria-label') || '').trim();
    const byIds = (el.getAttribute('aria-labelledby') || '').split(/\\s+/).filter(Boolean)
      .some((id) => (document.getElementById(id)?.textContent || '').trim());
    if (!byLabel && !byAria && !byIds) unlabelled.push(describe(el));
  }
  return unlabelled;
}"""
)

TAP_TARGETS = (
    "(minimum) => {"
    + _VISIBLE
    + """
  const small = [];
  const selector = 'a[href], button, input[type=submit], input[type=checkbox], '
    + 'input[type=radio], select, summary';
  for (const el of document.querySelectorAll(selector)) {
    if (!isVisible(el)) continue;
    if (el.tagName === 'A' && ['P', 'LI'].includes(el.parentElement.tagName)
        && el.parentElement.textContent.trim() !== el.textContent.trim()) continue;
    const target = ['checkbox', 'radio'].includes(el.type) && el.closest('label')
      ? el.closest('label') : el;
    const box = target.getBoundingClientRect();
    if (box.width < minimum - 0.5 || box.height < minimum - 0.5) {
      small.push(`${describe(el)} is ${Math.round(box.width)}x${Math.round(box.height)}`);
    }
  }
  return small;
}"""
)

FOCUS = (
    "(limit) => {"
    + _VISIBLE
    + """
  const missing = [];
  const selector = 'a[href], button:not([disabled]), input:not([type=hidden]):not([disabled]), '
    + 'select:not([disabled]), textarea:not([disabled]), summary, '
    + '[tabindex]:not([tabindex="-1"])';
  const look = (el) => {
    const style = getComputedStyle(el);
    return [style.outlineStyle, style.outlineWidth, style.outlineColor, style.boxShadow].join(' ');
  };
  const focusable = [...document.querySelectorAll(selector)]
    .filter((el) => el.tabIndex >= 0 && (isVisible(el) || el.classList.contains('skip-link')));
  for (const el of focusable.slice(0, limit)) {
    el.blur();
    const before = look(el);
    el.focus();
    const after = look(el);
    const noRing = getComputedStyle(el).outlineStyle === 'none'
      && getComputedStyle(el).boxShadow === 'none';
    if (document.activeElement !== el) missing.push(`${describe(el)} cannot take focus`);
    else if (before === after || noRing) missing.push(`${describe(el)} shows no focus ring`);
    el.blur();
  }
  return [focusable.length, missing];
}"""
)

# Colours are composited over the ancestors' backgrounds (white under the page); text over a
# background image or gradient cannot be measured this way and is left out.
CONTRAST = (
    "() => {"
    + _VISIBLE
    + """
  // Computed colours come as rgb()/rgba(), or as color(srgb r g b / a) from color-mix().
  const parse = (value) => {
    const parts = value.match(/[\\d.]+/g).map(Number);
    if (value.startsWith('rgb')) {
      return { r: parts[0], g: parts[1], b: parts[2], a: parts.length > 3 ? parts[3] : 1 };
    }
    if (value.startsWith('color(srgb ')) {
      const [r, g, b] = parts.map((part) => part * 255);
      return { r, g, b, a: parts.length > 3 ? parts[3] : 1 };
    }
    throw new Error(`cannot measure the colour ${value}`);
  };
  const over = (top, bottom) => ({
    r: top.r * top.a + bottom.r * (1 - top.a),
    g: top.g * top.a + bottom.g * (1 - top.a),
    b: top.b * top.a + bottom.b * (1 - top.a),
    a: 1,
  });
  const background = (el) => {
    const layers = [];
    for (let node = el; node; node = node.parentElement) {
      const style = getComputedStyle(node);
      if (style.backgroundImage !== 'none') return null;
      const colour = parse(style.backgroundColor);
      if (colour.a > 0) layers.push(colour);
      if (colour.a >= 1) break;
    }
    return layers.reverse().reduce((below, layer) => over(layer, below),
      { r: 255, g: 255, b: 255, a: 1 });
  };
  const luminance = ({ r, g, b }) => {
    const channel = (c) => {
      const s = c / 255;
      return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
    };
    return 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b);
  };
  const low = [];
  for (const el of document.body.querySelectorAll('*')) {
    const ownText = [...el.childNodes]
      .some((node) => node.nodeType === Node.TEXT_NODE && node.textContent.trim());
    if (!ownText || !isVisible(el) || el.closest('[disabled], [aria-disabled=true]')) continue;
    // A progress bar's text is fallback content, never drawn.
    if (['SCRIPT', 'STYLE', 'OPTION', 'PROGRESS', 'METER'].includes(el.tagName)) continue;
    const style = getComputedStyle(el);
    const back = background(el);
    if (!back) continue;
    const text = over(parse(style.color), back);
    const [light, dark] = [luminance(text), luminance(back)].sort((a, b) => b - a);
    const ratio = (light + 0.05) / (dark + 0.05);
    const size = parseFloat(style.fontSize);
    const large = size >= 24 || (size >= 18.66 && Number(style.fontWeight) >= 700);
    if (ratio < (large ? 3 : 4.5)) {
      low.push(`${describe(el)} ${style.color} on rgb(${Math.round(back.r)}, `
        + `${Math.round(back.g)}, ${Math.round(back.b)}) is ${ratio.toFixed(2)}:1`);
    }
  }
  return low;
}"""
)


def unlabelled_fields(page):
    """Visible form fields without an accessible name from a label or ARIA."""
    return page.evaluate(LABELS)


def settle(page):
    """Wait for running animations (a celebrating scan result) to end: sizes are read at rest."""
    page.evaluate(
        "() => Promise.all(document.getAnimations()"
        ".filter(a => a.effect.getComputedTiming().endTime !== Infinity).map(a => a.finished))"
    )


def small_tap_targets(page, minimum=44):
    """Visible controls smaller than `minimum` CSS px either way (inline links exempt)."""
    settle(page)
    return page.evaluate(TAP_TARGETS, minimum)


def focus_problems(page, limit=15):
    """The number of focusable elements, and those of the first `limit` with no focus ring.

    A key press first puts the page in keyboard mode: after a mouse click Chromium rightly
    keeps `:focus-visible` off for focus moved by script, which is not what a keyboard user
    sees."""
    page.keyboard.press("Shift")
    return page.evaluate(FOCUS, limit)


def low_contrast_text(page):
    """Visible text below WCAG AA contrast against its background."""
    return page.evaluate(CONTRAST)
