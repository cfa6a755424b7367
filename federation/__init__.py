"""Atrium: federation package."""
