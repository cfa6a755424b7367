"""OAuth 2 for client apps: the scope model and the browser-facing authorization page."""
