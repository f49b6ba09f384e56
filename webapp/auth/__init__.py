"""Sign-in, registration and password flows."""

# The session key of a code opened at /s/<code> while signed out: the portal sets it and
# claims it after sign-in; a confirmation link carries it to the browser that opens it.
PENDING_SCAN_KEY = "pending_scan_code"
