"""RQ worker: builds the app once, runs each job inside an app context."""

import sys

from rq import Worker

from webapp import create_app
from webapp.extensions import db
from webapp.jobs import QUEUE_NAMES, get_queue, redis_connection

app = create_app()


class AppWorker(Worker):
    """A worker whose forked work horse gets fresh database connections and an app context."""

    def perform_job(self, job, queue):
        """Run the job in the horse, inside the app context."""
        with app.app_context():
            # Connections inherited from the parent must not be shared with it after fork.
            db.engine.dispose(close=False)
            try:
                return super().perform_job(job, queue)
            finally:
                db.session.remove()


def main():
    """Work the queues in priority order until stopped."""
    if not app.config.get("REDIS_URL"):
        sys.exit("REDIS_URL is not set: jobs run inline in the web process, no worker needed.")
    with app.app_context():
        queues = [get_queue(name) for name in QUEUE_NAMES]
        AppWorker(queues, connection=redis_connection()).work(with_scheduler=True)


if __name__ == "__main__":
    main()
