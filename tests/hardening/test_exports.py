"""CSV exports: streamed to the end outside any pushed context, and safe to open in a sheet."""

import csv
import io

import pytest

from tests import factories
from tests.admin.conftest import HOST_A
from tests.hardening.isolation import in_fresh_thread
from webapp.csv_cells import safe_cell
from webapp.extensions import db
from webapp.models import Redemption


def owner_download(app, world, path):
    """Sign brand A's owner in on a new client and read the whole body of `path`."""

    def work():
        client = app.test_client()
        client.post(
            "/login",
            data={"email": world.emails["owner"], "password": factories.DEFAULT_PASSWORD},
            base_url=HOST_A,
        )
        response = client.get(path, base_url=HOST_A)
        return response.status_code, response.get_data(as_text=True)

    return in_fresh_thread(work)


def test_codes_csv_streams_every_row(app, world):
    status, body = owner_download(app, world, f"/admin/batches/{world.ids['batch_id']}/codes.csv")
    rows = list(csv.reader(io.StringIO(body)))
    assert status == 200
    assert rows[0] == ["code", "url"] and len(rows) == 4


@pytest.mark.parametrize(
    "value, expected",
    [
        ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
        ("+1", "'+1"),
        ("-2", "'-2"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("Ada", "Ada"),
        (42, 42),
        (None, None),
    ],
)
def test_safe_cell_neutralises_formulas(value, expected):
    assert safe_cell(value) == expected


def test_redemptions_csv_neutralises_formulas(app, world):
    redemption = db.session.get(Redemption, world.ids["redemption_id"])
    redemption.shipping_name = '=HYPERLINK("http://evil.test","click")'
    redemption.shipping_city = "@cmd"
    db.session.commit()
    status, body = owner_download(app, world, "/admin/redemptions.csv")
    rows = list(csv.reader(io.StringIO(body)))
    assert status == 200 and len(rows) == 2
    assert '\'=HYPERLINK("http://evil.test","click")' in rows[1]
    assert "'@cmd" in rows[1]
    assert not any(cell.startswith(("=", "+", "-", "@")) for cell in rows[1])
