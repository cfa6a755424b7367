"""Atrium: storage package."""
