"""Sign-in, registration and password flows."""
