"""The consumer portal."""
