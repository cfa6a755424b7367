"""Plain text of a local post → the HTML we store and federate, like Mastodon's TextFormatter.

Everything is escaped; blank lines make paragraphs and single newlines `<br>`; http(s) URLs,
resolved `@user` / `@user@host` mentions and `#hashtags` become links (app/lib/text_formatter.rb).
The output uses only markup `activitypub.html.sanitize_html` keeps, in its canonical form, so
sanitizing it again changes nothing. Every link carries `target="_blank" rel="nofollow noopener"`,
as the sanitizer puts on every link; hashtag links are told apart by `class="mention hashtag"`
(Mastodon's own `rel="tag"` would not survive its sanitizer either).

Pure functions: mentions are resolved by a callback the caller backs with data it already loaded
(`extract_mentions` tells it what to load).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar
from urllib.parse import quote

from activitypub.html import escape_attribute, escape_text, is_allowed_link

__all__ = [
    "FormattedPost",
    "MentionResolver",
    "MentionTarget",
    "TagUrl",
    "extract_hashtags",
    "extract_mentions",
    "format_post",
    "normalize_hashtag",
]


@dataclass(frozen=True, slots=True)
class MentionTarget:
    """An account a mention resolved to. `domain` is None for a local account."""

    username: str
    domain: str | None
    actor_uri: str
    profile_url: str


@dataclass(frozen=True, slots=True)
class FormattedPost:
    """A formatted post: its HTML and what it mentions, tags and links, each in order, unique."""

    html: str
    mentions: list[MentionTarget] = field(default_factory=list)
    hashtags: list[str] = field(default_factory=list)
    links: list[str] = field(default_factory=list)


# (username, domain or None for local) → the account, or None when unknown.
MentionResolver = Callable[[str, str | None], MentionTarget | None]
# normalized hashtag name → absolute http(s) URL of its page.
TagUrl = Callable[[str], str]

_LINK_ATTRS = 'target="_blank" rel="nofollow noopener"'
# Mastodon shows at most 30 characters of a URL after its scheme and "www.".
_URL_DISPLAY_CHARS = 30

# Not glued to a word, a path, a mention or a tag: "xhttp://", "/http://", "@http://" are not URLs.
_URL_RE = re.compile(
    r"(?<![\w@#$/＃])https?://[^\W_][\w.-]*+(?::\d++)?(?:[/?#][^\s<>\"]*+)?", re.IGNORECASE
)
_URL_PREFIX_RE = re.compile(r"https?://(?:www\.)?", re.IGNORECASE)
_HTTP_SCHEME_RE = re.compile(r"https?://", re.IGNORECASE)
# Trailing characters that end a sentence rather than a URL.
_URL_TRAILING = ".,:;!?'*…‘’“”"
_URL_CLOSERS = {")": "(", "]": "[", "}": "{"}

# Mastodon's Account::MENTION_RE, with possessive runs so a long run of dots cannot backtrack.
_MENTION_RE = re.compile(
    r"(?<![=/\w@])@([A-Za-z0-9_]++(?:[.-]++[A-Za-z0-9_]++)*+)(?:@(\w++(?:[.-]++\w++)*+))?"
)

_HASH_MARK_RE = re.compile("[#＃]")
# Mastodon's HASHTAG_SEPARATORS besides "_" (a word character): middle dots and ZWNJ, which
# scripts such as Persian need inside a word.
_TAG_SEPARATORS = "\u00b7\u30fb\u200c"
# What may not stand right before "#": "C#", "page/#anchor", "(x)#y" are not tags.
_TAG_BLOCKERS = "/)"

_SURROGATES_RE = re.compile("[\ud800-\udfff]")
# C0 controls but tab and newline, DEL, C1 controls, and a BOM: never part of a post.
_CONTROLS_RE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ufeff]")


@dataclass(frozen=True, slots=True)
class _Entity:
    start: int
    end: int
    kind: str  # "url" | "mention" | "hashtag"
    value: str = ""  # url, or hashtag name as written
    key: tuple[str, str | None] = ("", None)  # mention (username, domain)


def normalize_hashtag(name: str) -> str:
    """Return the canonical form of a hashtag name (without "#"): NFKC, then case-folded."""
    return unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", name).casefold())


def _clean_input(text: str) -> str:
    text = _SURROGATES_RE.sub("", text).replace("\r\n", "\n").replace("\r", "\n")
    return _CONTROLS_RE.sub("", text)


def _is_word(ch: str) -> bool:
    category = unicodedata.category(ch)
    return category[0] in "LMN" or category == "Pc"


def _trim_url(url: str) -> str:
    """Drop trailing punctuation, and closing brackets that have no opener inside the URL."""
    while url:
        last = url[-1]
        if last in _URL_CLOSERS:
            if url.count(_URL_CLOSERS[last]) >= url.count(last):
                break
        elif last not in _URL_TRAILING:
            break
        url = url[:-1]
    return url


def _scan_urls(text: str) -> list[_Entity]:
    found = []
    for match in _URL_RE.finditer(text):
        url = _trim_url(match.group())
        if _URL_RE.fullmatch(url):
            found.append(_Entity(match.start(), match.start() + len(url), "url", url))
    return found


def _scan_mentions(text: str, local_domain: str | None) -> list[_Entity]:
    found = []
    for match in _MENTION_RE.finditer(text):
        username, domain = match.group(1), match.group(2)
        if domain is not None:
            domain = domain.lower()
            if local_domain is not None and domain == local_domain.lower():
                domain = None
        found.append(_Entity(match.start(), match.end(), "mention", key=(username, domain)))
    return found


def _scan_hashtags(text: str) -> list[_Entity]:
    found = []
    position = 0
    while (match := _HASH_MARK_RE.search(text, position)) is not None:
        start = match.start()
        end = position = start + 1
        if start > 0 and (_is_word(text[start - 1]) or text[start - 1] in _TAG_BLOCKERS):
            continue
        while end < len(text) and (_is_word(text[end]) or text[end] in _TAG_SEPARATORS):
            end += 1
        position = end
        while end > start + 1 and text[end - 1] in _TAG_SEPARATORS:
            end -= 1
        name = text[start + 1 : end]
        # A tag starts with a word character and has a letter: "#123" and "#·x" are not tags.
        if name and _is_word(name[0]) and any(unicodedata.category(ch)[0] == "L" for ch in name):
            found.append(_Entity(start, end, "hashtag", name))
    return found


def _entities(text: str, local_domain: str | None) -> list[_Entity]:
    """URLs, mentions and hashtags of `text`, in order, not overlapping; URLs win overlaps."""
    urls = _scan_urls(text)
    others = sorted(_scan_mentions(text, local_domain) + _scan_hashtags(text), key=lambda e: e.start)
    chosen = list(urls)
    url_index, last_end = 0, 0
    for entity in others:
        while url_index < len(urls) and urls[url_index].end <= entity.start:
            url_index += 1
        inside_url = url_index < len(urls) and urls[url_index].start < entity.end
        if not inside_url and entity.start >= last_end:
            chosen.append(entity)
            last_end = entity.end
    return sorted(chosen, key=lambda e: e.start)


def _mention_key(entity: _Entity) -> tuple[str, str | None]:
    return entity.key[0].lower(), entity.key[1]


_T = TypeVar("_T")


def _unique(items: list[_T]) -> list[_T]:
    return list(dict.fromkeys(items))


def extract_mentions(text: str, *, local_domain: str | None = None) -> list[tuple[str, str | None]]:
    """Return the (username, domain) pairs `text` mentions, in order, once each (case-insensitive).

    The domain is lower-cased, and None when absent or equal to `local_domain`: exactly the
    arguments `format_post` will pass to its resolver.
    """
    seen: dict[tuple[str, str | None], tuple[str, str | None]] = {}
    for entity in _entities(_clean_input(text), local_domain):
        if entity.kind == "mention":
            seen.setdefault(_mention_key(entity), entity.key)
    return list(seen.values())


def extract_hashtags(text: str) -> list[str]:
    """Return the normalized names of the hashtags in `text`, in order, once each."""
    return _unique(
        [normalize_hashtag(e.value) for e in _entities(_clean_input(text), None) if e.kind == "hashtag"]
    )


def _is_http_link(url: str) -> bool:
    return _HTTP_SCHEME_RE.match(url) is not None and is_allowed_link(url)


def _render_url(url: str) -> str:
    prefix = _URL_PREFIX_RE.match(url)
    cut = prefix.end() if prefix else 0
    rest = url[cut:]
    shown, hidden = rest[:_URL_DISPLAY_CHARS], rest[_URL_DISPLAY_CHARS:]
    shown_class = ' class="ellipsis"' if hidden else ""
    return (
        f'<a href="{escape_attribute(url)}" {_LINK_ATTRS}>'
        f'<span class="invisible">{escape_text(url[:cut])}</span>'
        f"<span{shown_class}>{escape_text(shown)}</span>"
        f'<span class="invisible">{escape_text(hidden)}</span></a>'
    )


def _render_mention(target: MentionTarget, with_domain: bool) -> str:
    shown = f"{target.username}@{target.domain}" if with_domain and target.domain else target.username
    return (
        f'<span class="h-card"><a href="{escape_attribute(target.profile_url)}" class="u-url mention"'
        f" {_LINK_ATTRS}>@<span>{escape_text(shown)}</span></a></span>"
    )


def _render_hashtag(written: str, url: str) -> str:
    # The mark stays as written ("#" or the full-width "＃"), so the text reads back unchanged.
    return (
        f'<a href="{escape_attribute(url)}" class="mention hashtag" {_LINK_ATTRS}>'
        f"{escape_text(written[0])}<span>{escape_text(written[1:])}</span></a>"
    )


def _paragraphs(inline_html: str) -> str:
    """Blank lines separate paragraphs; other newlines become <br> (Rails' simple_format)."""
    paragraphs: list[list[str]] = [[]]
    for line in inline_html.split("\n"):
        if line.strip(" \t"):
            paragraphs[-1].append(line)
        elif paragraphs[-1]:
            paragraphs.append([])
    return "".join(f"<p>{'<br>'.join(lines)}</p>" for lines in paragraphs if lines)


def format_post(
    text: str,
    *,
    local_domain: str,
    resolve_mention: MentionResolver,
    tag_url: TagUrl | None = None,
) -> FormattedPost:
    """Format the plain text of a local post as HTML, and list its mentions, hashtags and links.

    `resolve_mention(username, domain)` is called once per distinct mention (usernames compared
    case-insensitively, first spelling passed), with domain None for local ones: the pairs
    `extract_mentions(text, local_domain=...)` returns. A mention it cannot resolve, or whose
    `profile_url` is not an http(s) URL the sanitizer keeps, stays plain text.
    `tag_url(name)` gets a normalized hashtag name and returns the absolute URL of its page;
    by default `https://{local_domain}/tags/{percent-encoded name}`.
    Raises ValueError if `tag_url` returns anything but an http(s) URL.
    """
    text = _clean_input(text)
    entities = _entities(text, local_domain)

    # Usernames are case-insensitive: one lookup per account, with its first spelling.
    targets: dict[tuple[str, str | None], MentionTarget | None] = {}
    for entity in entities:
        if entity.kind == "mention" and _mention_key(entity) not in targets:
            target = resolve_mention(*entity.key)
            valid = target is not None and _is_http_link(target.profile_url)
            targets[_mention_key(entity)] = target if valid else None
    resolved = [t for t in targets.values() if t is not None]
    # Like Mastodon: show user@domain only when the post mentions two accounts named alike.
    domains_by_name: dict[str, set[str | None]] = {}
    for target in resolved:
        domains_by_name.setdefault(target.username.casefold(), set()).add(target.domain)

    pieces: list[str] = []
    mentions: list[MentionTarget] = []
    hashtags: list[str] = []
    links: list[str] = []
    position = 0
    for entity in entities:
        pieces.append(escape_text(text[position : entity.start]))
        written = text[entity.start : entity.end]
        position = entity.end
        if entity.kind == "url":
            if _is_http_link(entity.value):
                pieces.append(_render_url(entity.value))
                links.append(entity.value)
            else:
                pieces.append(escape_text(written))
        elif entity.kind == "mention":
            target = targets[_mention_key(entity)]
            if target is None:
                pieces.append(escape_text(written))
            else:
                ambiguous = len(domains_by_name[target.username.casefold()]) > 1
                pieces.append(_render_mention(target, ambiguous))
                mentions.append(target)
        else:
            name = normalize_hashtag(entity.value)
            url = tag_url(name) if tag_url else f"https://{local_domain}/tags/{quote(name, safe='')}"
            if not _is_http_link(url):
                raise ValueError(f"tag URL for {name!r} is not an http(s) URL: {url!r}")
            pieces.append(_render_hashtag(written, url))
            hashtags.append(name)
    pieces.append(escape_text(text[position:]))

    return FormattedPost(
        html=_paragraphs("".join(pieces)),
        mentions=_unique_by_actor(mentions),
        hashtags=_unique(hashtags),
        links=_unique(links),
    )


def _unique_by_actor(targets: list[MentionTarget]) -> list[MentionTarget]:
    seen: dict[str, MentionTarget] = {}
    for target in targets:
        seen.setdefault(target.actor_uri, target)
    return list(seen.values())
