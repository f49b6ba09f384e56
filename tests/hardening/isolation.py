"""Run test code the way a server runs requests: each in its own app context.

The pytest-flask fixture keeps one request context pushed for the whole test, so every
test-client request shares its `g` and database session; here they don't."""

import threading


def in_fresh_thread(work, timeout=120):
    """Run `work()` in a thread of its own (no context pushed there); returns its result.
    `timeout` (seconds, None for no limit) bounds the wait."""
    outcome = {}

    def run():
        try:
            outcome["value"] = work()
        except BaseException as error:  # re-raised in the test's thread
            outcome["error"] = error

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(timeout)
    assert not thread.is_alive(), f"still running after {timeout} s"
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]
