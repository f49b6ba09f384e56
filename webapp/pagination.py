"""One page of a query: its rows, its number and whether another page follows."""

from dataclasses import dataclass

from webapp.extensions import db

MAX_PAGE = 10_000


@dataclass(frozen=True)
class Page:
    """One page of rows (from 1) and whether a page follows it."""

    rows: list
    number: int
    has_next: bool

    @property
    def has_previous(self):
        """True past the first page."""
        return self.number > 1


def page_number(number):
    """`number` as a page number: at least 1 and never past MAX_PAGE (a 20-digit page is an
    empty page, not a SQL error)."""
    return min(max(number, 1), MAX_PAGE)


def paginate(query, number, size, *, scalars=False):
    """Page `number` of `query`, `size` rows a page; `scalars` for one-column rows."""
    number = page_number(number)
    limited = query.offset((number - 1) * size).limit(size + 1)
    result = db.session.scalars(limited) if scalars else db.session.execute(limited)
    rows = list(result.all())
    return Page(rows[:size], number, len(rows) > size)
