"""Atrium: activitypub package."""
