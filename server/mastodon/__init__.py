"""Our rows → Mastodon client API entities (the one place for this direction of conversion).

Pure functions: they take rows and bundles already loaded (server/api/present.py loads them) plus a
`RenderContext`, and return the JSON-ready dicts Mastodon's REST serializers would: ids as strings,
ISO 8601 times with milliseconds, booleans and nulls where Mastodon puts them.
"""
