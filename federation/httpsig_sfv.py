"""The part of RFC 8941 Structured Field Values that HTTP message signatures need.

Parses dictionaries whose members are items or inner lists, with parameters
(Signature-Input, Signature, Content-Digest), and serializes inner lists back
for the "@signature-params" line of RFC 9421 section 2.3. Every failure is a
ValueError; callers turn it into a 401.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass

# A bare item: int, float (sf-decimal), str (sf-string), Token, bytes or bool.
BareItem = int | float | str | bytes | bool
Params = dict[str, BareItem]


class Token(str):
    """An sf-token, kept apart from an sf-string because they serialize differently."""

    __slots__ = ()


@dataclass(frozen=True, slots=True)
class Item:
    """A bare item with its parameters."""

    value: BareItem
    params: Params


@dataclass(frozen=True, slots=True)
class InnerList:
    """A parenthesised list of items, with parameters of its own."""

    items: tuple[Item, ...]
    params: Params


_KEY = re.compile(r"[a-z*][a-z0-9_\-.*]*")
_TOKEN = re.compile(r"[A-Za-z*][0-9A-Za-z!#$%&'*+.^_`|~:/-]*")
_NUMBER = re.compile(r"-?([0-9]+)(?:\.([0-9]+))?")
_BYTES = re.compile(r":([A-Za-z0-9+/=]*):")
_STRING_CHARS = re.compile(r"[\x20\x21\x23-\x5b\x5d-\x7e]*")


class _Parser:
    def __init__(self, text: str) -> None:
        if not text.isascii():
            raise ValueError("structured field is not ASCII")
        self.text = text
        self.pos = 0

    def _peek(self) -> str:
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def _skip(self, chars: str) -> None:
        while self.pos < len(self.text) and self.text[self.pos] in chars:
            self.pos += 1

    def _match(self, pattern: re.Pattern[str], what: str) -> re.Match[str]:
        match = pattern.match(self.text, self.pos)
        if match is None:
            raise ValueError(f"expected {what} at {self.pos}")
        self.pos = match.end()
        return match

    def dictionary(self) -> dict[str, Item | InnerList]:
        # RFC 8941 section 4.2.2. A repeated key is refused rather than "last one wins":
        # two different signatures under one label must not be a matter of parser taste.
        members: dict[str, Item | InnerList] = {}
        self._skip(" ")
        while self.pos < len(self.text):
            key = self._match(_KEY, "a key").group()
            if key in members:
                raise ValueError(f"repeated dictionary key {key!r}")
            if self._peek() == "=":
                self.pos += 1
                members[key] = self._item_or_inner_list()
            else:
                members[key] = Item(True, self._params())
            self._skip(" \t")
            if self.pos == len(self.text):
                break
            if self._peek() != ",":
                raise ValueError(f"expected ',' at {self.pos}")
            self.pos += 1
            self._skip(" \t")
            if self.pos == len(self.text):
                raise ValueError("trailing ',' in dictionary")
        return members

    def _item_or_inner_list(self) -> Item | InnerList:
        if self._peek() != "(":
            return Item(self._bare_item(), self._params())
        self.pos += 1
        items: list[Item] = []
        while True:
            self._skip(" ")
            if self._peek() == ")":
                self.pos += 1
                return InnerList(tuple(items), self._params())
            items.append(Item(self._bare_item(), self._params()))
            if self._peek() not in (" ", ")"):
                raise ValueError(f"expected ' ' or ')' at {self.pos}")

    def _params(self) -> Params:
        params: Params = {}
        while self._peek() == ";":
            self.pos += 1
            self._skip(" ")
            key = self._match(_KEY, "a parameter key").group()
            if key in params:
                raise ValueError(f"repeated parameter {key!r}")
            if self._peek() == "=":
                self.pos += 1
                params[key] = self._bare_item()
            else:
                params[key] = True
        return params

    def _bare_item(self) -> BareItem:
        char = self._peek()
        if char == "-" or char.isdigit():
            return self._number()
        if char == '"':
            return self._string()
        if char == ":":
            return self._bytes()
        if char == "?":
            value = self.text[self.pos + 1 : self.pos + 2]
            if value not in ("0", "1"):
                raise ValueError(f"bad boolean at {self.pos}")
            self.pos += 2
            return value == "1"
        return Token(self._match(_TOKEN, "an item").group())

    def _number(self) -> int | float:
        match = self._match(_NUMBER, "a number")
        whole, fraction = match.groups()
        if fraction is None:
            if len(whole) > 15:
                raise ValueError("integer too long")
            return int(match.group())
        if len(whole) > 12 or len(fraction) > 3:
            raise ValueError("decimal too long")
        return float(match.group())

    def _string(self) -> str:
        self.pos += 1  # opening quote
        out: list[str] = []
        while True:
            out.append(self._match(_STRING_CHARS, "string characters").group())
            char = self._peek()
            if char == '"':
                self.pos += 1
                return "".join(out)
            if char == "\\" and self.text[self.pos + 1 : self.pos + 2] in ('"', "\\"):
                out.append(self.text[self.pos + 1])
                self.pos += 2
                continue
            raise ValueError(f"bad string character at {self.pos}")

    def _bytes(self) -> bytes:
        encoded = self._match(_BYTES, "a byte sequence").group(1)
        try:
            raw = base64.b64decode(encoded, validate=True)
        except (binascii.Error, ValueError):
            raise ValueError("bad base64 in byte sequence") from None
        # Canonical only, so two different field values never carry the same bytes.
        if base64.b64encode(raw).decode("ascii") != encoded:
            raise ValueError("non-canonical base64 in byte sequence")
        return raw


def parse_dictionary(text: str) -> dict[str, Item | InnerList]:
    """An sf-dictionary; ValueError when ``text`` is not one."""
    return _Parser(text).dictionary()


def serialize_bare_item(value: BareItem) -> str:
    """RFC 8941 section 4.1.3 serialization of one bare item."""
    if isinstance(value, bool):
        return "?1" if value else "?0"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        text = f"{value:.3f}".rstrip("0")
        return text + "0" if text.endswith(".") else text
    if isinstance(value, bytes):
        return ":" + base64.b64encode(value).decode("ascii") + ":"
    if isinstance(value, Token):
        return str(value)
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def serialize_params(params: Params) -> str:
    """``;key=value`` for each parameter, ``;key`` alone for a true boolean."""
    return "".join(f";{k}" if v is True else f";{k}={serialize_bare_item(v)}" for k, v in params.items())


def serialize_inner_list(inner: InnerList) -> str:
    """RFC 8941 section 4.1.1.1: ``("a" "b");p=1``."""
    items = " ".join(serialize_bare_item(item.value) + serialize_params(item.params) for item in inner.items)
    return f"({items}){serialize_params(inner.params)}"
