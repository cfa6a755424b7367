"""Atrium: webui package."""
