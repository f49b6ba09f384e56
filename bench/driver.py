"""The load driver: `concurrency` separate processes, each one closed loop of HTTP requests
(send, read the whole answer, send the next) over `http.client`, for a fixed time.

Separate processes, not threads: the driver must not be limited by its own GIL, and each
process is as light as a request loop can be in Python (no `requests` session per call). A
sync gunicorn worker closes the connection after each answer; the loop reconnects then, as a
browser or a proxy would.
"""

import http.client
import multiprocessing
import time
from dataclasses import dataclass, field, replace
from urllib.parse import quote

from webapp.benchmark import LABEL_HEADER


@dataclass(frozen=True)
class Scenario:
    """What one endpoint's load sends."""

    label: str
    port: int
    method: str = "GET"
    path: str = "/"
    members: list = field(default_factory=list)  # [(cookie header, CSRF token)]
    codes: list = field(default_factory=list)  # scans: one fresh code per request
    bodies: list = field(default_factory=list)  # webhooks: (body, timestamp, signature)

    def get(self, path, members):
        """Signed-in GETs of `path`, the members taking turns."""
        return replace(self, method="GET", path=path, members=list(members))

    def scan(self, members, codes):
        """htmx `POST /scan` with a fresh code each time."""
        return replace(self, method="POST", path="/scan", members=list(members), codes=codes)

    def webhooks(self, bodies):
        """Signed Customer.io reporting webhooks."""
        return replace(self, method="POST", path="/webhooks/customerio", bodies=bodies)


def _requests(scenario, index, concurrency):
    """(method, path, body, headers) for process `index`, in order; finite for scans and
    webhooks (each code and body is used once)."""
    label = {LABEL_HEADER: scenario.label}
    if scenario.codes:
        members = scenario.members
        for n, code in enumerate(scenario.codes[index::concurrency]):
            cookie, token = members[(index + n) % len(members)]
            body = f"csrf_token={quote(token)}&code={code}".encode()
            yield (
                "POST",
                scenario.path,
                body,
                {
                    **label,
                    "Cookie": cookie,
                    "HX-Request": "true",
                    "Content-Type": "application/x-www-form-urlencoded",
                },
            )
        return
    if scenario.bodies:
        for body, timestamp, signature in scenario.bodies[index::concurrency]:
            yield (
                "POST",
                scenario.path,
                body,
                {
                    **label,
                    "Content-Type": "application/json",
                    "X-CIO-Timestamp": timestamp,
                    "X-CIO-Signature": signature,
                },
            )
        return
    n = 0
    while True:
        cookie, _ = scenario.members[(index + n) % len(scenario.members)]
        headers = {**label, "Cookie": cookie} if cookie else dict(label)
        yield scenario.method, scenario.path, None, headers
        n += 1


def _loop(scenario, index, concurrency, seconds, start_at, answers):
    """One process: wait for the common start, then send until the time is up."""
    latencies, statuses = [], {}
    connection = None
    work = _requests(scenario, index, concurrency)
    while time.time() < start_at:
        time.sleep(0.001)
    began = time.perf_counter()
    deadline = began + seconds
    for method, path, body, headers in work:
        if time.perf_counter() >= deadline:
            break
        started = time.perf_counter()
        try:
            if connection is None:
                connection = http.client.HTTPConnection("127.0.0.1", scenario.port, timeout=30)
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            response.read()
            status = response.status
            if response.will_close:
                connection.close()
                connection = None
        except (OSError, http.client.HTTPException):
            status = "connection error"
            connection = None
        latencies.append((time.perf_counter() - started) * 1000)
        statuses[status] = statuses.get(status, 0) + 1
    # A finite load (codes, webhook bodies) may run out before the deadline: the rate is over
    # the time it really ran.
    answers.put((latencies, statuses, min(seconds, time.perf_counter() - began)))


def drive(scenario, seconds, concurrency):
    """Run the scenario; returns {requests, seconds, latencies (ms), statuses, errors}."""
    context = multiprocessing.get_context("fork")
    answers = context.Queue()
    start_at = time.time() + 0.5
    processes = [
        context.Process(
            target=_loop, args=(scenario, index, concurrency, seconds, start_at, answers)
        )
        for index in range(concurrency)
    ]
    for process in processes:
        process.start()
    latencies, statuses, ran = [], {}, []
    for _ in processes:
        mine, counts, elapsed = answers.get()
        latencies.extend(mine)
        ran.append(elapsed)
        for status, count in counts.items():
            statuses[status] = statuses.get(status, 0) + count
    for process in processes:
        process.join()
    ok = {200, 202} if scenario.bodies else {200}
    errors = sum(count for status, count in statuses.items() if status not in ok)
    return {
        "requests": len(latencies),
        "seconds": max(ran),
        "ran_out": max(ran) < seconds * 0.99,
        "latencies": sorted(latencies),
        "statuses": statuses,
        "errors": errors,
        "successes": sum(count for status, count in statuses.items() if status in ok),
    }
