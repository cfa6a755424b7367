"""What "nothing executable survives" means, as a checker of HTML (and of plain text shown as HTML).

`executable(html)` lists every construct a browser could run: script elements (other than our own
`/static/` scripts), event-handler attributes, `javascript:`/`vbscript:`/`data:text/html` URLs in any
URL attribute, frames, objects, embeds, SVG/MathML, `<base>`, `<meta http-equiv=refresh>`, and CSS
`expression(`/`url(javascript:`. Used by the rendering case and the sanitizer properties.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

DANGEROUS_TAGS = frozenset({"script", "iframe", "frame", "frameset", "object", "embed", "applet", "svg", "math",
                            "base", "link", "style", "template", "portal", "noscript", "xml", "import"})
URL_ATTRIBUTES = frozenset({"href", "src", "action", "formaction", "xlink:href", "data", "poster", "background",
                            "srcset", "ping", "lowsrc", "dynsrc", "cite", "codebase", "manifest", "icon"})
_BAD_URL = re.compile(r"^\s*(?:javascript|vbscript|livescript|data\s*:\s*(?:text/html|image/svg|application))",
                      re.IGNORECASE)
_BAD_CSS = re.compile(r"expression\s*\(|url\s*\(\s*['\"]?\s*(?:javascript|vbscript)|@import|behavior\s*:", re.IGNORECASE)
_CONTROL = re.compile(r"[\x00-\x20\x7f]+")


class _Finder(HTMLParser):
    def __init__(self, own_prefixes: tuple[str, ...]) -> None:
        super().__init__(convert_charrefs=True)
        self.own = own_prefixes
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name.lower(): value or "" for name, value in attrs}
        if tag in ("script", "link", "style"):
            source = values.get("src") or values.get("href") or ""
            if not (source.startswith(self.own) and tag != "style"):
                self.found.append(f"<{tag} {source[:80]}>")
        elif tag in DANGEROUS_TAGS:
            self.found.append(f"<{tag}>")
        if tag == "meta" and values.get("http-equiv", "").lower() == "refresh":
            self.found.append("<meta http-equiv=refresh>")
        for name, value in values.items():
            if name.startswith("on"):
                self.found.append(f"{tag}[{name}]")
            elif name in URL_ATTRIBUTES and _BAD_URL.match(_CONTROL.sub("", value)):
                self.found.append(f"{tag}[{name}={value[:60]}]")
            elif name == "style" and _BAD_CSS.search(value):
                self.found.append(f"{tag}[style={value[:60]}]")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)


def executable(html: str, *, own: tuple[str, ...] = ("/static/",)) -> list[str]:
    """Everything a browser could execute in `html`, except our own scripts under `own`."""
    finder = _Finder(own)
    finder.feed(html)
    finder.close()
    return finder.found
