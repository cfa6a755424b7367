"""Tests for activitypub.content: plain text of a local post → HTML, mentions, hashtags, links."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from activitypub.content import (
    FormattedPost,
    MentionTarget,
    extract_hashtags,
    extract_mentions,
    format_post,
    normalize_hashtag,
)
from activitypub.html import escape_attribute, html_to_text, sanitize_html

LOCAL = "atrium.example"
LINK = 'target="_blank" rel="nofollow noopener"'


def account(username: str, domain: str | None = None) -> MentionTarget:
    host = domain or LOCAL
    return MentionTarget(username, domain, f"https://{host}/users/{username}", f"https://{host}/@{username}")


ALICE_AT_HOME = account("alice")
BOB_AT_PARIS = account("bob", "paris.example")
ALICE_AT_LYON = account("alice", "lyon.example")


def directory(*targets: MentionTarget):
    """A resolver over known accounts (case-insensitive), recording what it was asked."""
    known = {(t.username.lower(), t.domain): t for t in targets}
    asked: list[tuple[str, str | None]] = []

    def resolve(username: str, domain: str | None) -> MentionTarget | None:
        asked.append((username, domain))
        return known.get((username.lower(), domain))

    resolve.asked = asked  # type: ignore[attr-defined]
    return resolve


def nobody(username: str, domain: str | None) -> MentionTarget | None:
    return None


def fmt(text: str, *targets: MentionTarget, **kwargs) -> FormattedPost:
    return format_post(text, local_domain=LOCAL, resolve_mention=directory(*targets), **kwargs)


def mention_html(target: MentionTarget, shown: str) -> str:
    return (
        f'<span class="h-card"><a href="{target.profile_url}" class="u-url mention" {LINK}>'
        f"@<span>{shown}</span></a></span>"
    )


def tag_html(shown: str, path: str) -> str:
    return f'<a href="https://{LOCAL}/tags/{path}" class="mention hashtag" {LINK}>#<span>{shown}</span></a>'


def url_html(href: str, prefix: str, shown: str, hidden: str = "", ellipsis: bool = False) -> str:
    shown_class = ' class="ellipsis"' if ellipsis else ""
    return (
        f'<a href="{href}" {LINK}><span class="invisible">{prefix}</span><span{shown_class}>{shown}</span>'
        f'<span class="invisible">{hidden}</span></a>'
    )


# --- escaping and paragraphs ------------------------------------------------------------------


def test_everything_is_escaped() -> None:
    post = fmt("<script>alert(\"x\")</script> & 'q' <b>bold</b>")
    assert post.html == "<p>&lt;script&gt;alert(\"x\")&lt;/script&gt; &amp; 'q' &lt;b&gt;bold&lt;/b&gt;</p>"


def test_blank_lines_make_paragraphs_and_newlines_make_breaks() -> None:
    assert fmt("one\ntwo\n\nthree").html == "<p>one<br>two</p><p>three</p>"
    assert fmt("a\r\nb\r\n\r\n\r\nc\rd").html == "<p>a<br>b</p><p>c<br>d</p>"
    # a line of spaces separates paragraphs too; leading and trailing blank lines vanish
    assert fmt("\n\n  a\n \t \nb\n\n").html == "<p>  a</p><p>b</p>"


def test_empty_and_blank_posts_give_empty_html() -> None:
    assert fmt("").html == ""
    assert fmt(" \n\n\t").html == ""


def test_control_characters_are_removed() -> None:
    assert fmt("a\x00b\x07c\x1bd\x7fe\x85f\ufeffg\ud800h").html == "<p>abcdefgh</p>"


def test_non_breaking_space_is_written_as_the_sanitizer_writes_it() -> None:
    post = fmt("a\xa0b")
    assert post.html == "<p>a&nbsp;b</p>"
    assert sanitize_html(post.html) == post.html


# --- mentions -----------------------------------------------------------------------------------


def test_local_mention_is_linked() -> None:
    post = fmt("hi @alice!", ALICE_AT_HOME)
    assert post.html == f"<p>hi {mention_html(ALICE_AT_HOME, 'alice')}!</p>"
    assert post.mentions == [ALICE_AT_HOME]


def test_remote_mention_is_linked_and_shows_the_username() -> None:
    post = fmt("cc @bob@paris.example.", BOB_AT_PARIS)
    assert post.html == f"<p>cc {mention_html(BOB_AT_PARIS, 'bob')}.</p>"
    assert post.mentions == [BOB_AT_PARIS]


def test_mention_with_our_own_domain_is_local() -> None:
    # Given a mention written with our domain, in any case
    resolve = directory(ALICE_AT_HOME)
    # When formatted
    post = format_post("@alice@ATRIUM.example", local_domain=LOCAL, resolve_mention=resolve)
    # Then the resolver is asked for a local account
    assert resolve.asked == [("alice", None)]
    assert post.mentions == [ALICE_AT_HOME]


def test_unresolved_mention_stays_plain_text() -> None:
    post = fmt("hello @carol and @dave@nowhere.example")
    assert post.html == "<p>hello @carol and @dave@nowhere.example</p>"
    assert post.mentions == []


def test_same_username_on_two_servers_shows_the_domain() -> None:
    post = fmt("@alice @alice@lyon.example", ALICE_AT_HOME, ALICE_AT_LYON)
    assert post.html == (
        f"<p>{mention_html(ALICE_AT_HOME, 'alice')} {mention_html(ALICE_AT_LYON, 'alice@lyon.example')}</p>"
    )


def test_mentions_are_unique_in_order_and_resolved_once() -> None:
    resolve = directory(ALICE_AT_HOME, BOB_AT_PARIS)
    post = format_post(
        "@bob@paris.example @alice @bob@paris.example @ALICE", local_domain=LOCAL, resolve_mention=resolve
    )
    assert post.mentions == [BOB_AT_PARIS, ALICE_AT_HOME]
    assert resolve.asked == [("bob", "paris.example"), ("alice", None)]


def test_mention_with_unsafe_profile_url_is_not_linked() -> None:
    evil = MentionTarget("eve", None, "https://atrium.example/users/eve", "javascript:alert(1)")
    post = fmt("@eve", evil)
    assert post.html == "<p>@eve</p>"
    assert post.mentions == []


def test_mention_with_malformed_profile_url_is_not_linked() -> None:
    broken = MentionTarget("eve", None, "https://atrium.example/users/eve", "http://[broken/@eve")
    assert fmt("@eve", broken).html == "<p>@eve</p>"


def test_email_addresses_and_urls_are_not_mentions() -> None:
    post = fmt("mail alice@atrium.example or see https://x.example/@alice", ALICE_AT_HOME)
    assert post.mentions == []
    assert "h-card" not in post.html


def test_extract_mentions() -> None:
    text = "@alice @Alice @bob@Paris.example @carol@atrium.example https://x.example/@dave me@mail.example"
    assert extract_mentions(text) == [("alice", None), ("bob", "paris.example"), ("carol", "atrium.example")]
    assert extract_mentions(text, local_domain=LOCAL)[-1] == ("carol", None)


# --- URLs ---------------------------------------------------------------------------------------


def test_url_is_linked_without_trailing_punctuation() -> None:
    post = fmt("See https://example.com/a. Or http://example.org, ok? https://x.example/q?a=1&b=2!")
    assert post.html == (
        f"<p>See {url_html('https://example.com/a', 'https://', 'example.com/a')}. Or "
        f"{url_html('http://example.org', 'http://', 'example.org')}, ok? "
        f"{url_html('https://x.example/q?a=1&amp;b=2', 'https://', 'x.example/q?a=1&amp;b=2')}!</p>"
    )
    assert post.links == ["https://example.com/a", "http://example.org", "https://x.example/q?a=1&b=2"]


def test_url_in_parentheses_keeps_balanced_parentheses_only() -> None:
    post = fmt("(see https://en.wikipedia.org/wiki/Python_(language)) and (https://example.com/x)")
    assert post.links == ["https://en.wikipedia.org/wiki/Python_(language)", "https://example.com/x"]
    assert post.html.endswith("</a>)</p>")


def test_long_url_display_is_shortened_like_mastodon() -> None:
    url = "https://www.example.com/a/very/long/path/that/goes/on/and/on"
    post = fmt(url)
    assert (
        post.html
        == "<p>"
        + url_html(url, "https://www.", "example.com/a/very/long/path/t", "hat/goes/on/and/on", ellipsis=True)
        + "</p>"
    )


def test_things_that_are_not_http_urls_are_not_linked() -> None:
    post = fmt(
        "javascript:alert(1) ftp://x.example xhttp://x.example /http://x.example http:// "
        "http://example.com:99999/ data:text/html,x"
    )
    assert post.links == []
    assert "<a " not in post.html


def test_hashtag_and_mention_inside_a_url_are_not_linked() -> None:
    post = fmt(
        "https://example.com/page#section https://example.com/?q=#tag https://example.com/@alice",
        ALICE_AT_HOME,
    )
    assert post.links == [
        "https://example.com/page#section",
        "https://example.com/?q=#tag",
        "https://example.com/@alice",
    ]
    assert post.hashtags == []
    assert post.mentions == []


# --- hashtags -----------------------------------------------------------------------------------


def test_hashtags_next_to_punctuation() -> None:
    post = fmt('#Hello, #world! (#paren) #end. "#quoted"')
    assert post.hashtags == ["hello", "world", "paren", "end", "quoted"]
    assert post.html == (
        f"<p>{tag_html('Hello', 'hello')}, {tag_html('world', 'world')}! ({tag_html('paren', 'paren')}) "
        f'{tag_html("end", "end")}. "{tag_html("quoted", "quoted")}"</p>'
    )


def test_what_is_not_a_hashtag() -> None:
    post = fmt("#123 C# x#y page/#anchor (a)#b # #_ #·x")
    assert post.hashtags == []
    assert "<a " not in post.html


def test_hashtag_may_start_with_a_digit_if_it_has_a_letter() -> None:
    assert fmt("#1st #2024_review").hashtags == ["1st", "2024_review"]


def test_cjk_and_accented_hashtags() -> None:
    post = fmt("#日本語 #Café #ελληνικά #naïve #한국어 ＃全角")
    assert post.hashtags == ["日本語", "café", "ελληνικά", "naïve", "한국어", "全角"]
    assert '＃<span>全角</span>' in post.html
    assert tag_html("日本語", "%E6%97%A5%E6%9C%AC%E8%AA%9E") in post.html
    assert tag_html("Café", "caf%C3%A9") in post.html


def test_hashtags_with_marks_and_separators() -> None:
    # Devanagari needs combining marks; Persian needs ZWNJ; Catalan uses the middle dot
    post = fmt("#हिन्दी #می\u200cخواهم #col·legi· #a\u200c")
    assert post.hashtags == ["हिन्दी", "می\u200cخواهم", "col·legi", "a"]


def test_hashtags_are_normalised_and_unique() -> None:
    post = fmt("#Café #CAFÉ #cafe\u0301 #Ｃａｆé")
    assert post.hashtags == ["café"]
    assert post.html.count('class="mention hashtag"') == 4


def test_custom_tag_url() -> None:
    post = fmt("#Tag", tag_url=lambda name: f"https://tags.example/t/{name}")
    assert (
        post.html
        == f'<p><a href="https://tags.example/t/tag" class="mention hashtag" {LINK}>#<span>Tag</span></a></p>'
    )


def test_tag_url_that_is_not_http_is_refused() -> None:
    with pytest.raises(ValueError):
        fmt("#Tag", tag_url=lambda name: f"javascript:alert('{name}')")


def test_extract_hashtags() -> None:
    assert extract_hashtags("#B #a https://x.example/#c #b") == ["b", "a"]


def test_normalize_hashtag() -> None:
    assert normalize_hashtag("Straße") == "strasse"
    assert normalize_hashtag("Ｃａｆｅ") == "cafe"
    assert normalize_hashtag("cafe\u0301") == normalize_hashtag("CAFÉ") == "café"


@given(st.text(max_size=30))
def test_normalize_hashtag_is_idempotent(name: str) -> None:
    once = normalize_hashtag(name)
    assert normalize_hashtag(once) == once


# --- properties ---------------------------------------------------------------------------------

FORMATTER_TAGS = {"p", "br", "span", "a"}
FORMATTER_ATTRIBUTES = {"href", "class", "target", "rel"}


class _Markup(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.attributes: list[tuple[str, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attributes.extend(attrs)

    handle_startendtag = handle_starttag


def assert_only_formatter_markup(html: str) -> None:
    """Only p/br/span/a, no handlers, every href an http(s) URL."""
    markup = _Markup()
    markup.feed(html)
    markup.close()
    assert set(markup.tags) <= FORMATTER_TAGS, markup.tags
    for name, value in markup.attributes:
        assert name in FORMATTER_ATTRIBUTES and not name.startswith("on"), name
        if name == "href":
            assert value is not None and re.match(r"https?://", value, re.IGNORECASE), value
    assert "<script" not in html.lower()


def hosts() -> st.SearchStrategy[str]:
    """Host names in our URL grammar that any URL parser accepts (ASCII labels, alphabetic TLD)."""
    label = st.from_regex(r"[a-w][a-z0-9]{0,8}(-[a-z0-9]{1,4})?", fullmatch=True)
    tld = st.from_regex(r"[a-z]{2,6}", fullmatch=True)
    return st.builds(
        lambda labels, top: ".".join([*labels, top]), st.lists(label, min_size=1, max_size=3), tld
    )


def urls() -> st.SearchStrategy[str]:
    """http(s) URLs that end in a character no sentence punctuation rule trims."""
    path = st.from_regex(r"(/[A-Za-z0-9_~%=&?.+-]{0,12})*/[A-Za-z0-9_]{0,6}", fullmatch=True)
    port = st.one_of(st.just(""), st.integers(1, 65535).map(lambda p: f":{p}"))
    return st.builds(
        lambda scheme, host, port, path: f"{scheme}://{host}{port}{path}",
        st.sampled_from(["http", "https", "HTTPS"]),
        hosts(),
        port,
        st.one_of(st.just(""), path),
    )


def usernames() -> st.SearchStrategy[str]:
    return st.from_regex(r"[A-Za-z0-9_]{1,10}([.-][A-Za-z0-9_]{1,5})?", fullmatch=True)


def mentions() -> st.SearchStrategy[tuple[str, str | None]]:
    return st.tuples(usernames(), st.one_of(st.none(), hosts()))


def hashtag_names() -> st.SearchStrategy[str]:
    letters = st.characters(categories=["Lu", "Ll", "Lo", "Nd"])
    return st.text(letters, min_size=1, max_size=12).filter(lambda name: any(not ch.isdigit() for ch in name))


HOSTILE_PIECES = [
    "<script>",
    "</script>",
    "<img src=x onerror=alert(1)>",
    "<a href='javascript:alert(1)'>",
    '"',
    "'",
    "javascript:",
    "JaVaScRiPt:alert(1)",
    "data:",
    "@",
    "#",
    "＃",
    "http://",
    "https://",
    "<",
    ">",
    "&",
    "&amp;",
    "&#106;",
    "\n",
    "\n\n",
    "\r\n",
    " ",
    "\t",
    "(",
    ")",
    ".",
    ",",
    "!",
    "onload=",
    "·",
    "\u200c",
    "\xa0",
    "\x00",
    "\u202e",
    "\ufeff",
    "www.",
    "/",
    "?",
    "=",
]
SEPARATORS = [" ", "\n", "\n\n", " (", ") ", ", ", ". ", "! "]


def hostile_post_text() -> st.SearchStrategy[str]:
    """Arbitrary text mixed with markup, scripts, quotes, URL, mention and hashtag syntax."""
    piece = st.one_of(
        st.text(max_size=10),
        st.sampled_from(HOSTILE_PIECES),
        urls(),
        mentions().map(lambda m: "@" + m[0] + (f"@{m[1]}" if m[1] else "")),
        hashtag_names().map(lambda name: "#" + name),
    )
    return st.lists(piece, max_size=30).map("".join)


def resolve_everyone(username: str, domain: str | None) -> MentionTarget:
    return account(username.lower(), domain)


def visible_words(text: str) -> list[str]:
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return re.sub("[\x00-\x08\x0b-\x1f\x7f-\x9f\ufeff\ud800-\udfff]", "", text).split()


@settings(max_examples=300)
@given(hostile_post_text())
def test_formatter_output_is_inert_and_already_sanitized(text: str) -> None:
    # Given arbitrary hostile text, formatted with every mention resolving
    post = format_post(text, local_domain=LOCAL, resolve_mention=resolve_everyone)
    # Then the HTML holds only the formatter's markup, with http(s) links only
    assert_only_formatter_markup(post.html)
    # And it is exactly what the sanitizer would keep
    assert sanitize_html(post.html) == post.html


@settings(max_examples=300)
@given(hostile_post_text())
def test_plain_text_round_trip_keeps_the_words(text: str) -> None:
    # Given arbitrary text, with no mention resolving (a resolved one shows as @user, not @user@host)
    post = format_post(text, local_domain=LOCAL, resolve_mention=nobody)
    # When turned back into text, Then the words are those of the input
    assert html_to_text(post.html).split() == visible_words(text)


@given(
    st.lists(st.tuples(urls(), st.sampled_from(SEPARATORS)), min_size=1, max_size=6),
    st.sampled_from(["", " ", "\n", "("]),
)
def test_every_url_is_linked(parts: list[tuple[str, str]], lead: str) -> None:
    # Given URLs of the grammar separated by spaces, newlines or punctuation
    text = lead + "".join(url + sep for url, sep in parts)
    # When formatted
    post = format_post(text, local_domain=LOCAL, resolve_mention=nobody)
    # Then each is linked, in order, whole
    expected = list(dict.fromkeys(url for url, _ in parts))
    assert post.links == expected
    for url in expected:
        assert f'<a href="{escape_attribute(url)}" {LINK}>' in post.html


@given(
    st.lists(st.tuples(mentions(), st.sampled_from(SEPARATORS)), min_size=1, max_size=6),
    st.sampled_from(["", " ", "\n", "("]),
)
def test_every_resolvable_mention_is_found(
    parts: list[tuple[tuple[str, str | None], str]], lead: str
) -> None:
    # Given mentions, local and remote, separated by spaces, newlines or punctuation
    text = lead + "".join("@" + user + (f"@{host}" if host else "") + sep for (user, host), sep in parts)
    # When formatted with a resolver that knows everyone
    post = format_post(text, local_domain=LOCAL, resolve_mention=resolve_everyone)
    # Then every mention is found, once, in order, and linked
    expected = list(dict.fromkeys((user.lower(), host) for (user, host), _ in parts))
    assert [(m.username.lower(), m.domain) for m in post.mentions] == expected
    assert [(user.lower(), host) for user, host in extract_mentions(text)] == expected
    for target in post.mentions:
        assert f'href="{target.profile_url}" class="u-url mention"' in post.html


@given(st.lists(st.tuples(hashtag_names(), st.sampled_from(SEPARATORS)), min_size=1, max_size=6))
def test_every_hashtag_is_found(parts: list[tuple[str, str]]) -> None:
    text = "".join("#" + name + sep for name, sep in parts)
    post = format_post(text, local_domain=LOCAL, resolve_mention=nobody)
    expected = list(dict.fromkeys(normalize_hashtag(name) for name, _ in parts))
    assert post.hashtags == expected
    assert extract_hashtags(text) == expected
