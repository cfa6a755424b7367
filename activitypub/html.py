"""HTML sanitizing for remote content, and HTML → plain text.

Remote `content` / `summary` / profile notes go through `sanitize_html` before they are stored or
shown (SECURITY-CASES 21). The allowed set mirrors Mastodon's `MASTODON_STRICT`
(lib/sanitize_ext/sanitize_config.rb), so what we show matches what Mastodon users see.

Canonical form: the sanitizer re-serializes its input (html5ever via nh3), which escapes text and
attribute values in one fixed way. `escape_text` / `escape_attribute` escape exactly the same way,
so HTML built with them (activitypub.content) is a fixed point of `sanitize_html`.

Pure functions, no I/O.
"""

from __future__ import annotations

import re
from html import unescape
from html.parser import HTMLParser

import nh3

__all__ = [
    "LINK_SCHEMES",
    "MAX_HTML_INPUT_CHARS",
    "MAX_NESTING_DEPTH",
    "escape_attribute",
    "escape_text",
    "html_to_text",
    "is_allowed_link",
    "sanitize_html",
    "sanitize_plain",
]

# Input beyond this many characters is cut off before parsing. 100,000 characters is far above any
# real post or bio (Mastodon caps notes at 20 KB) and bounds the parser's work per document.
MAX_HTML_INPUT_CHARS = 100_000

# html5ever spends time quadratic in element depth (25,000 nested <ul> take about 2 s), so a
# document whose estimated nesting exceeds this is shown as escaped plain text instead of parsed.
# Real posts nest a handful of levels; Nokogiri's HTML5 parser (under Mastodon's sanitizer) stops
# at 400 by default.
MAX_NESTING_DEPTH = 128

# Mastodon's LINK_PROTOCOLS: anything else (javascript:, data:, vbscript:, relative) loses its href.
LINK_SCHEMES = frozenset(
    {"http", "https", "dat", "dweb", "ipfs", "ipns", "ssb", "gopher", "xmpp", "magnet", "gemini"}
)

LINK_REL = "nofollow noopener"
LINK_TARGET = "_blank"

_ALLOWED_TAGS = frozenset(
    {"p", "br", "span", "a", "del", "s", "pre", "blockquote", "code", "b", "strong", "u", "i", "em",
     "ul", "ol", "li", "ruby", "rt", "rp"}
)
_HEADINGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6"})

# Tags whose content is dropped with them, not kept as text: code, styles, embedded documents.
_DROP_CONTENT_TAGS = frozenset(
    {"script", "style", "template", "noscript", "noembed", "noframes", "xmp", "plaintext", "iframe",
     "object", "embed", "svg", "title"}
)

_ATTRIBUTES = {
    "*": {"lang"},
    "a": {"href", "class"},
    "span": {"class"},
    "p": {"class"},
    "ol": {"start", "reversed"},
    "li": {"value"},
}
# Mastodon keeps `translate` only when it says "no" (names, code).
_ATTRIBUTE_VALUES = {"a": {"translate": {"no"}}, "span": {"translate": {"no"}}}

_CLASS_RE = re.compile(r"(?:h|p|u|dt|e)-[A-Za-z0-9_-]+|mention|hashtag|ellipsis|invisible|quote-inline")


def _filter_attribute(tag: str, name: str, value: str) -> str | None:
    """Keep only the classes Mastodon keeps: microformats, mention/hashtag, link display, quotes."""
    if name != "class":
        return value
    kept = [token for token in value.split() if _CLASS_RE.fullmatch(token)]
    return " ".join(kept) or None


def _cleaner(tags: frozenset[str]) -> nh3.Cleaner:
    return nh3.Cleaner(
        tags=set(tags),
        clean_content_tags=set(_DROP_CONTENT_TAGS),
        attributes={tag: set(names) for tag, names in _ATTRIBUTES.items()},
        attribute_filter=_filter_attribute,
        tag_attribute_values=_ATTRIBUTE_VALUES,
        set_tag_attribute_values={"a": {"target": LINK_TARGET}},
        link_rel=LINK_REL,
        url_schemes=set(LINK_SCHEMES),
        url_relative="deny",
        strip_comments=True,
    )


# First pass also keeps headings so they can become <p><strong> (Mastodon's
# UNSUPPORTED_ELEMENTS_TRANSFORMER); the final pass is the allowed set alone.
_HEADING_PASS = _cleaner(_ALLOWED_TAGS | _HEADINGS)
_FINAL_PASS = _cleaner(_ALLOWED_TAGS)
# For html_to_text: structure that decides line breaks, no attributes at all.
_TEXT_PASS = nh3.Cleaner(
    tags={"p", "br", "div", "li", "blockquote", "pre", "table", "tr", "td", "th", "dt", "dd", "ul", "ol"}
    | _HEADINGS,
    clean_content_tags=set(_DROP_CONTENT_TAGS),
    attributes={},
    link_rel=None,
    strip_comments=True,
)

_SURROGATES_RE = re.compile("[\ud800-\udfff]")
# C0 and C1 controls other than tab, newline, carriage return: never meaningful in markup.
_HTML_CONTROLS_RE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_HEADING_TAG_RE = re.compile(r"<(/?)h[1-6](?: [^<>]*)?>")
# Start and end tags, for the depth estimate.
_TAG_TOKEN_RE = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9]*)")
# Elements that never deepen html5ever's open-element stack: void elements, and elements the
# parser closes implicitly when a sibling opens.
_NON_NESTING = frozenset(
    {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track",
     "wbr", "p", "li", "dt", "dd", "option", "optgroup", "tr", "td", "th", "rb", "rt", "rp", "rtc",
     "thead", "tbody", "tfoot", "caption", "colgroup"}
)
# Linear, unlike "<[^>]*>" which rescans to the end of the input from every unclosed "<".
_TAG_STRIP_RE = re.compile(r"<[^<>]*>")


def escape_text(text: str) -> str:
    """Escape text content exactly as the sanitizer's serializer does."""
    return (
        text.replace("&", "&amp;").replace("\xa0", "&nbsp;").replace("<", "&lt;").replace(">", "&gt;")
    )


def escape_attribute(value: str) -> str:
    """Escape a double-quoted attribute value exactly as the sanitizer's serializer does."""
    return (
        value.replace("&", "&amp;")
        .replace("\xa0", "&nbsp;")
        .replace('"', "&quot;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
    )


def _prepare(html: str) -> str:
    """Cap, and remove what the parser would choke on or treat differently on a second pass."""
    # Lone surrogates cannot cross into Rust (nh3 would raise). The parser drops one leading BOM,
    # so strip them all here, or each further pass would drop the next one.
    html = _SURROGATES_RE.sub("\ufffd", html[:MAX_HTML_INPUT_CHARS])
    return _HTML_CONTROLS_RE.sub("", html).lstrip("\ufeff")


def _too_deep(html: str) -> bool:
    """Whether the estimated element nesting of `html` exceeds MAX_NESTING_DEPTH (over-estimates)."""
    depth = 0
    for match in _TAG_TOKEN_RE.finditer(html):
        if match.group(2).lower() in _NON_NESTING:
            continue
        if match.group(1):
            depth = max(0, depth - 1)
        else:
            depth += 1
            if depth > MAX_NESTING_DEPTH:
                return True
    return False


def _strip_tags(html: str) -> str:
    """Crude text of `html` for documents too deep to parse: tags dropped, entities decoded."""
    text = _HTML_CONTROLS_RE.sub("", unescape(_TAG_STRIP_RE.sub(" ", html)))
    return " ".join(text.split())


def sanitize_html(html: str) -> str:
    """Return `html` reduced to Mastodon's allowed set: nothing executable, links nofollow + _blank.

    Input is cut at MAX_HTML_INPUT_CHARS. A document nested deeper than MAX_NESTING_DEPTH comes
    back as one paragraph of its text. The result is idempotent: sanitizing it again changes nothing.
    """
    html = _prepare(html)
    if _too_deep(html):
        text = _strip_tags(html)
        return f"<p>{escape_text(text)}</p>" if text else ""
    html = _HEADING_PASS.clean(html)
    # Only the canonical serializer output is rewritten here, where "<h1>" cannot be text (text
    # "<" is always escaped), and the final pass re-parses the result, so safety never rests on it.
    html = _HEADING_TAG_RE.sub(lambda m: "</strong></p>" if m.group(1) else "<p><strong>", html)
    # Character references ("&#1;") decode to controls; they are not markup, so dropping them
    # from the serialized output cannot form a tag, and cannot change an allowed URL's scheme.
    return _HTML_CONTROLS_RE.sub("", _FINAL_PASS.clean(html))


def is_allowed_link(url: str) -> bool:
    """Whether `sanitize_html` keeps `url` unchanged as an `href` (absolute, allowed scheme)."""
    if not url or url != _prepare(url):
        return False
    probe = f'<a href="{escape_attribute(url)}">'
    return _FINAL_PASS.clean(probe + "x</a>").startswith(probe[:-1] + " ")


# Bidi embeddings/overrides/isolates leak their direction into the text around a name; a BOM or
# zero-width no-break space is invisible. Line and paragraph separators are whitespace.
_PLAIN_DROP = dict.fromkeys([*range(0x202A, 0x202F), *range(0x2066, 0x206A), 0xFEFF], None)


def sanitize_plain(text: str, max_len: int) -> str:
    """Return `text` as one clean line of at most `max_len` characters, for templates to escape.

    For display names, content warnings, poll options and profile field names: control
    characters, bidi overrides and lone surrogates are removed, whitespace runs become one space,
    the ends are trimmed. Markup is not interpreted: "<b>" stays the four characters "<b>".
    Only the first MAX_HTML_INPUT_CHARS characters of the input are read.
    """
    if max_len < 0:
        raise ValueError("max_len must be >= 0")
    text = _SURROGATES_RE.sub("", text[:MAX_HTML_INPUT_CHARS]).translate(_PLAIN_DROP)
    text = "".join(" " if _is_control(ch) else ch for ch in text)
    return " ".join(text.split())[:max_len].rstrip()


def _is_control(ch: str) -> bool:
    code = ord(ch)
    return code < 0x20 or 0x7F <= code <= 0x9F


_BLOCK_TAGS = frozenset({"p", "div", "blockquote", "pre", "ul", "ol", "table"} | _HEADINGS)
_LINE_TAGS = frozenset({"br", "li", "tr", "dt", "dd"})
_CELL_TAGS = frozenset({"td", "th"})


class _TextCollector(HTMLParser):
    """Collect text from canonical (already sanitized) HTML, marking line and paragraph breaks."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.pre_depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _BLOCK_TAGS:
            self.parts.append("\n\n")
        elif tag in _LINE_TAGS:
            self.parts.append("\n")
        elif tag in _CELL_TAGS:
            self.parts.append(" ")
        if tag == "pre":
            self.pre_depth += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in _BLOCK_TAGS:
            self.parts.append("\n\n")
        if tag == "pre":
            self.pre_depth = max(0, self.pre_depth - 1)

    def handle_data(self, data: str) -> None:
        if self.pre_depth:
            self.parts.append(data)
        else:
            # Outside <pre> a browser shows any whitespace run as one space.
            self.parts.append(re.sub(r"[ \t\n\r\f]+", " ", data))


def html_to_text(html: str) -> str:
    """Return the readable text of `html`: tags dropped, entities decoded, <br>/<p> as newlines.

    For notifications, search and previews. Lines are trimmed, at most one blank line separates
    paragraphs, and control characters other than newline are removed.
    """
    html = _prepare(html)
    if _too_deep(html):
        return _strip_tags(html)
    collector = _TextCollector()
    # html.parser is quadratic on some malformed input ("<a" * 50_000); nh3's canonical output
    # has no unterminated markup, so parse that instead of the raw document.
    collector.feed(_TEXT_PASS.clean(html))
    collector.close()
    text = "".join(collector.parts).replace("\t", " ")
    text = "".join(ch for ch in text if ch == "\n" or not _is_control(ch))
    lines = [line.strip() for line in text.split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
