"""Astronomy helpers that work with no network at all."""
