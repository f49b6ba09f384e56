"""Password hashing with bcrypt; hashes from the Laravel era (`$2y$`) still verify."""

import bcrypt

ROUNDS = 12


def hash_password(password, rounds=ROUNDS):
    """A bcrypt hash of `password` (a `$2b$` string)."""
    return bcrypt.hashpw(password.encode("utf-8"), bcrypt.gensalt(rounds)).decode("ascii")


def verify_password(password, password_hash):
    """True when `password` matches a `$2a$`/`$2b$`/`$2y$` bcrypt hash; False otherwise."""
    if not password or not password_hash:
        return False
    stored = password_hash.encode("ascii", "ignore")
    if stored.startswith(b"$2y$"):
        # PHP's $2y$ is the same algorithm as $2b$; only the prefix differs.
        stored = b"$2b$" + stored[4:]
    try:
        return bcrypt.checkpw(password.encode("utf-8"), stored)
    except ValueError:
        return False
