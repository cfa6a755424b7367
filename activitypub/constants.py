"""ActivityStreams vocabulary constants: the public address, media types and our @context."""

from __future__ import annotations

from typing import Any, Final

# --- The public collection -------------------------------------------------
# Peers spell it three ways: the full IRI (Mastodon), the http:// variant (old
# GNU social) and the compact IRI "as:Public" (places.pub, some Pleroma forks).
AS_PUBLIC: Final = "https://www.w3.org/ns/activitystreams#Public"
PUBLIC_SPELLINGS: Final = frozenset(
    {
        AS_PUBLIC,
        "http://www.w3.org/ns/activitystreams#Public",
        "as:Public",
    }
)

# --- Media types -------------------------------------------------------------
ACTIVITY_JSON: Final = "application/activity+json"
LD_JSON_PROFILE: Final = 'application/ld+json; profile="https://www.w3.org/ns/activitystreams"'
# The only Content-Types a fetched document may carry (SECURITY-CASES 5).
ACTIVITY_CONTENT_TYPES: Final = (ACTIVITY_JSON, LD_JSON_PROFILE)
JRD_JSON: Final = "application/jrd+json"
XRD_XML: Final = "application/xrd+xml"
NODEINFO_PROFILE_20: Final = 'application/json; profile="http://nodeinfo.diaspora.software/ns/schema/2.0#"'
NODEINFO_PROFILE_21: Final = 'application/json; profile="http://nodeinfo.diaspora.software/ns/schema/2.1#"'

# --- Namespaces ----------------------------------------------------------------
AS_CONTEXT: Final = "https://www.w3.org/ns/activitystreams"
AS_NS: Final = "https://www.w3.org/ns/activitystreams#"
SECURITY_CONTEXT: Final = "https://w3id.org/security/v1"
TOOT_NS: Final = "http://joinmastodon.org/ns#"
SCHEMA_NS: Final = "http://schema.org#"
OSTATUS_NS: Final = "http://ostatus.org#"
# Atrium's own extension terms. The IRI only has to be unique and stable: no
# JSON-LD processor dereferences a term's namespace (only context documents).
ATRIUM_NS: Final = "https://atrium.invalid/ns#"

# Terms of our extension namespace, as JSON keys (compact form).
ATRIUM_DEPARTMENT: Final = "department"
ATRIUM_JOB_TITLE: Final = "jobTitle"
ATRIUM_MANAGER: Final = "manager"
ATRIUM_OFFICE_LOCATION: Final = "officeLocation"
ATRIUM_PRONOUNS: Final = "pronouns"

# The term map we send, modelled on Mastodon's (app/lib/activitypub/adapter.rb)
# so that Mastodon-family peers read our booleans, emoji and fields; plus ours.
TERM_MAP: Final[dict[str, Any]] = {
    "manuallyApprovesFollowers": "as:manuallyApprovesFollowers",
    "sensitive": "as:sensitive",
    "Hashtag": "as:Hashtag",
    "movedTo": {"@id": "as:movedTo", "@type": "@id"},
    "alsoKnownAs": {"@id": "as:alsoKnownAs", "@type": "@id"},
    "toot": TOOT_NS,
    "Emoji": "toot:Emoji",
    "featured": {"@id": "toot:featured", "@type": "@id"},
    "featuredTags": {"@id": "toot:featuredTags", "@type": "@id"},
    "discoverable": "toot:discoverable",
    "votersCount": "toot:votersCount",
    "blurhash": "toot:blurhash",
    "focalPoint": {"@container": "@list", "@id": "toot:focalPoint"},
    "schema": SCHEMA_NS,
    "PropertyValue": "schema:PropertyValue",
    "value": "schema:value",
    "ostatus": OSTATUS_NS,
    "conversation": "ostatus:conversation",
    "atrium": ATRIUM_NS,
    ATRIUM_DEPARTMENT: "atrium:department",
    ATRIUM_JOB_TITLE: "atrium:jobTitle",
    ATRIUM_MANAGER: {"@id": "atrium:manager", "@type": "@id"},
    ATRIUM_OFFICE_LOCATION: "atrium:officeLocation",
    ATRIUM_PRONOUNS: "atrium:pronouns",
}

# The @context of every document we send. Builders copy it, never share it.
ATRIUM_CONTEXT: Final[list[Any]] = [AS_CONTEXT, SECURITY_CONTEXT, TERM_MAP]

# --- Type families -------------------------------------------------------------
# Actor types Mastodon accepts (app/services/activitypub/process_account_service.rb).
ACTOR_TYPES: Final = frozenset({"Application", "Group", "Organization", "Person", "Service"})
# Object types we turn into posts; others are refused with a stated reason.
OBJECT_TYPES: Final = frozenset(
    {"Article", "Audio", "Event", "Image", "Note", "Page", "Question", "Tombstone", "Video"}
)
COLLECTION_TYPES: Final = frozenset(
    {"Collection", "CollectionPage", "OrderedCollection", "OrderedCollectionPage"}
)
# ActivityStreams activity types plus widespread extensions. A document of an
# unknown type that carries an `actor` is parsed as an activity too, so new
# peer activities reach the inbox, which ignores what it does not handle.
ACTIVITY_TYPES: Final = frozenset(
    {
        "Accept", "Add", "Announce", "Arrive", "Block", "Create", "Delete", "Dislike",
        "EmojiReact", "Flag", "Follow", "Ignore", "Invite", "Join", "Leave", "Like",
        "Listen", "Move", "Offer", "Read", "Reject", "Remove", "TentativeAccept",
        "TentativeReject", "Travel", "Undo", "Update", "View",
    }
)  # fmt: skip

# --- WebFinger / NodeInfo ----------------------------------------------------------
WEBFINGER_PROFILE_PAGE: Final = "http://webfinger.net/rel/profile-page"
OSTATUS_SUBSCRIBE: Final = "http://ostatus.org/schema/1.0/subscribe"
NODEINFO_REL_20: Final = "http://nodeinfo.diaspora.software/ns/schema/2.0"
NODEINFO_REL_21: Final = "http://nodeinfo.diaspora.software/ns/schema/2.1"
