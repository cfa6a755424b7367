"""Bounds applied when parsing remote documents (SECURITY-CASES 17).

A remote peer can send a poll with 10,000 options or a note addressed to 10,000
recipients (CVE-2026-23962). Parsers never fail on such input: they keep the
first N entries and drop the rest, so no later stage (storage, fan-out, fetch
of mentioned actors) ever sees more than these numbers. Strings are cut at the
caps below; identifiers (IRIs) are never cut, since a cut IRI names something
else: an over-long IRI is treated as absent.
"""

from __future__ import annotations

# Identifiers
MAX_IRI_LENGTH = 2048
MAX_TYPES = 8  # entries kept from a `type` array

# Lists
MAX_RECIPIENTS = 200  # per addressing field (to, cc, bto, bcc, audience)
MAX_TAGS = 100  # `tag` entries examined (mentions + hashtags + emojis together)
MAX_ATTACHMENTS = 20
MAX_POLL_OPTIONS = 50
MAX_FIELDS = 50  # PropertyValue profile fields
MAX_ALIASES = 20  # alsoKnownAs
MAX_LANGUAGES = 20  # entries of contentMap / nameMap / summaryMap
MAX_OBJECT_IDS = 50  # e.g. the objects of a Flag
MAX_COLLECTION_ITEMS = 200  # items / orderedItems kept from one collection page
MAX_LINKS = 20  # WebFinger links, url arrays, icon arrays examined
MAX_EMBED_DEPTH = 3  # Announce{Update{Article}} is depth 3; deeper objects keep only their id

# Strings (characters, after removing NUL, which PostgreSQL text refuses)
MAX_CONTENT_LENGTH = 262_144  # HTML body of a post or article
MAX_SUMMARY_LENGTH = 10_000  # content warning, actor bio
MAX_NAME_LENGTH = 1_000  # display name, article title, poll option, attachment alt text
MAX_FIELD_LENGTH = 2_000  # a profile field name or value
MAX_SHORT_LENGTH = 256  # usernames, media types, blurhash, language tags
MAX_PEM_LENGTH = 16_384  # an RSA-8192 public key is about 1,500 characters
