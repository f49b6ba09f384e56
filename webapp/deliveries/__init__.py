"""The Customer.io jobs: delivering the outbox, the sweep, applying stored webhooks.

They are boundaries, like a view: each commits between its network calls (claim the rows,
commit, send, record the answers). The rules they run live below, in `webapp.customerio`
(client, throttle, credentials, webhook_apply) and `webapp.events`.
"""
