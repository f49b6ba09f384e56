"""CSV cells that a spreadsheet shows as text, never runs as a formula."""

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value):
    """`value`, with a leading quote when a spreadsheet would read it as a formula."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def safe_row(values):
    """Every cell of a CSV row through `safe_cell`."""
    return [safe_cell(value) for value in values]
