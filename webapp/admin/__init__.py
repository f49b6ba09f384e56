"""The brand staff admin area."""
