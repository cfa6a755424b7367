"""Atrium's web interface: Jinja2 templates, one stylesheet, one small script, gettext catalogs."""
