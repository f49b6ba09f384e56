"""What the HTTP benchmark (`make bench`) needs from the app, only when BENCH_ENDPOINTS is on.

- A floor endpoint, `GET /_bench/floor`: a signed-in member's request that runs one indexed
  SELECT, so every other endpoint is reported as a ratio to the cheapest request this app,
  this machine and this database can serve in the same run.
- Database round trips counted at the connection: every statement, commit, rollback (the
  pool's rollback on return included) and pool ping, per request label (the `X-Bench-Label`
  header the load driver sends, else the endpoint). Each process writes its counts to
  BENCH_COUNTS_DIR when it exits, so counting costs the requests nothing but a dict update.

Off (the default) nothing here is registered: no route, no listener.
"""

import atexit
import json
import os
import threading
from collections import defaultdict
from pathlib import Path

from flask import Blueprint, jsonify, request
from flask_login import current_user, login_required
from sqlalchemy import event, select

from webapp.extensions import db
from webapp.models import User

bp = Blueprint("benchmark", __name__, url_prefix="/_bench")
LABEL_HEADER = "X-Bench-Label"


class RoundTrips:
    """Round trips to the database per request label, in this process."""

    def __init__(self):
        self.current = threading.local()
        self.by_label = defaultdict(lambda: [0, 0])  # label -> [requests, round trips]
        self.lock = threading.Lock()

    def start_request(self, label):
        """Later round trips (this request's and its connection's return) count for `label`."""
        self.current.label = label
        with self.lock:
            self.by_label[label][0] += 1

    def count(self, *_args, **_kwargs):
        """One round trip for the request running on this thread."""
        label = getattr(self.current, "label", None)
        if label is not None:
            with self.lock:
                self.by_label[label][1] += 1

    def snapshot(self):
        """{label: {"requests": n, "round_trips": n}}."""
        with self.lock:
            return {
                label: {"requests": requests, "round_trips": trips}
                for label, (requests, trips) in self.by_label.items()
            }

    def write(self, folder):
        """Write this process's counts to `folder`/round-trips-<pid>.json."""
        path = Path(folder) / f"round-trips-{os.getpid()}.json"
        path.write_text(json.dumps(self.snapshot()))


def count_round_trips(engine, counter):
    """Count every exchange with the server on `engine`: statements (cursor executes), and
    the dialect's commit, rollback and ping, which the pool also uses (pre-ping on checkout,
    rollback on return)."""
    event.listen(engine, "before_cursor_execute", counter.count)
    dialect = engine.dialect
    for name in ("do_commit", "do_rollback", "do_ping"):
        original = getattr(dialect, name)

        def counted(connection, _original=original):
            counter.count()
            return _original(connection)

        setattr(dialect, name, counted)


def register(app):
    """The floor endpoint and the round-trip counter, when the benchmark asks for them."""
    if not app.config.get("BENCH_ENDPOINTS"):
        return
    counter = RoundTrips()
    app.extensions["bench_round_trips"] = counter
    with app.app_context():
        count_round_trips(db.engine, counter)

    @app.before_request
    def _label_request():
        counter.start_request(request.headers.get(LABEL_HEADER) or request.endpoint or "-")

    folder = app.config.get("BENCH_COUNTS_DIR")
    if folder:
        atexit.register(counter.write, folder)
    app.register_blueprint(bp)


@bp.get("/floor")
@login_required
def floor():
    """The floor: a signed-in member's GET that runs one indexed SELECT."""
    balance = db.session.scalar(select(User.points_balance).where(User.id == current_user.id))
    return jsonify(points=balance)
