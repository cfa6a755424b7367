"""Atrium: server package."""
