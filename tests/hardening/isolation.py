"""Run test code the way a server runs requests: each in its own app context.

The pytest-flask fixture keeps one request context pushed for the whole test, so every
test-client request shares its `g` and database session; here they don't."""

import threading


def in_fresh_thread(work):
    """Run `work()` in a thread of its own (no context pushed there); returns its result."""
    outcome = {}

    def run():
        try:
            outcome["value"] = work()
        except BaseException as error:  # re-raised in the test's thread
            outcome["error"] = error

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(120)
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]
