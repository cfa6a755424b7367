"""Every fixture from other servers is accepted or refused for a stated reason (tests/fixtures/README.md)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from activitypub.constants import AS_PUBLIC
from activitypub.model import Attachment, Emoji, Field, Hashtag, Mention, PollOption
from activitypub.parse import (
    DocumentError,
    ParsedActivity,
    ParsedActor,
    ParsedCollection,
    ParsedObject,
    ParsedWebFinger,
    get_types,
    parse_document,
)

from .strategies import (
    FIXTURES,
    document_like,
    fixture_paths,
    json_values,
    mutated_fixtures,
)

# What each fixture parses to. A new fixture must be added here: accepted, or refused below.
ACCEPTED: dict[str, tuple[type, str]] = {
    "activityrelay/relay_application.json": (ParsedActor, "Application"),
    "bookwyrm/replies_collection_page.json": (ParsedCollection, "OrderedCollectionPage"),
    "bookwyrm/review_article.json": (ParsedObject, "Article"),
    "discourse/group.json": (ParsedActor, "Group"),
    "discourse/person.json": (ParsedActor, "Person"),
    "discourse/topic_note.json": (ParsedObject, "Note"),
    "fedibird/note_quote.json": (ParsedObject, "Note"),
    "friendica/article.json": (ParsedObject, "Article"),
    "friendica/create_note_reply.json": (ParsedActivity, "Create"),
    "friendica/create_note_to_group.json": (ParsedActivity, "Create"),
    "friendica/delete_tombstone.json": (ParsedActivity, "Delete"),
    "friendica/dislike.json": (ParsedActivity, "Dislike"),
    "friendica/followers_collection_hidden.json": (ParsedCollection, "OrderedCollection"),
    "friendica/like.json": (ParsedActivity, "Like"),
    "friendica/note_hashtags_mentions.json": (ParsedObject, "Note"),
    "friendica/note_reply.json": (ParsedObject, "Note"),
    "friendica/organization.json": (ParsedActor, "Organization"),
    "friendica/page.json": (ParsedObject, "Page"),
    "friendica/person.json": (ParsedActor, "Person"),
    "friendica/update_note.json": (ParsedActivity, "Update"),
    "funkwhale/audio.json": (ParsedObject, "Audio"),
    "funkwhale/channel_person.json": (ParsedActor, "Person"),
    "funkwhale/create_audio.json": (ParsedActivity, "Create"),
    "gnusocial/create_note.json": (ParsedActivity, "Create"),
    "gnusocial/group.json": (ParsedActor, "Group"),
    "gnusocial/like_note.json": (ParsedActivity, "Like"),
    "gnusocial/note.json": (ParsedObject, "Note"),
    "gnusocial/page.json": (ParsedObject, "Page"),
    "gnusocial/person.json": (ParsedActor, "Person"),
    "hubzilla/create_note.json": (ParsedActivity, "Create"),
    "hubzilla/group.json": (ParsedActor, "Group"),
    "hubzilla/image.json": (ParsedObject, "Image"),
    "hubzilla/note.json": (ParsedObject, "Note"),
    "hubzilla/person.json": (ParsedActor, "Person"),
    "kroeg/announce_inline_actor.json": (ParsedActivity, "Announce"),
    "kroeg/create_note.json": (ParsedActivity, "Create"),
    "kroeg/create_note_single_emoji_tag.json": (ParsedActivity, "Create"),
    "kroeg/create_note_single_hashtag_tag.json": (ParsedActivity, "Create"),
    "kroeg/person.json": (ParsedActor, "Person"),
    "lemmy/accept_follow.json": (ParsedActivity, "Accept"),
    "lemmy/add_featured_post.json": (ParsedActivity, "Add"),
    "lemmy/add_mod.json": (ParsedActivity, "Add"),
    "lemmy/announce_create_page.json": (ParsedActivity, "Announce"),
    "lemmy/block_user.json": (ParsedActivity, "Block"),
    "lemmy/comment_note.json": (ParsedObject, "Note"),
    "lemmy/create_comment.json": (ParsedActivity, "Create"),
    "lemmy/create_page.json": (ParsedActivity, "Create"),
    "lemmy/create_private_message.json": (ParsedActivity, "Create"),
    "lemmy/delete_page.json": (ParsedActivity, "Delete"),
    "lemmy/delete_private_message.json": (ParsedActivity, "Delete"),
    "lemmy/delete_remove_note_by_mod.json": (ParsedActivity, "Delete"),
    "lemmy/delete_user.json": (ParsedActivity, "Delete"),
    "lemmy/flag_report_page.json": (ParsedActivity, "Flag"),
    "lemmy/follow.json": (ParsedActivity, "Follow"),
    "lemmy/group.json": (ParsedActor, "Group"),
    "lemmy/group_featured_posts.json": (ParsedCollection, "OrderedCollection"),
    "lemmy/group_followers.json": (ParsedCollection, "Collection"),
    "lemmy/group_outbox.json": (ParsedCollection, "OrderedCollection"),
    "lemmy/instance_application.json": (ParsedActor, "Application"),
    "lemmy/like_note.json": (ParsedActivity, "Like"),
    "lemmy/lock_page.json": (ParsedActivity, "Lock"),
    "lemmy/page.json": (ParsedObject, "Page"),
    "lemmy/page_2020.json": (ParsedObject, "Page"),
    "lemmy/page_image_and_link.json": (ParsedObject, "Page"),
    "lemmy/person.json": (ParsedActor, "Person"),
    "lemmy/person_2020.json": (ParsedActor, "Person"),
    "lemmy/person_outbox.json": (ParsedCollection, "OrderedCollection"),
    "lemmy/remove_mod.json": (ParsedActivity, "Remove"),
    "lemmy/resolve_report.json": (ParsedActivity, "Resolve"),
    "lemmy/tombstone.json": (ParsedObject, "Tombstone"),
    "lemmy/undo_block_user.json": (ParsedActivity, "Undo"),
    "lemmy/undo_delete_page.json": (ParsedActivity, "Undo"),
    "lemmy/undo_dislike_page.json": (ParsedActivity, "Undo"),
    "lemmy/undo_follow.json": (ParsedActivity, "Undo"),
    "lemmy/undo_lock_page.json": (ParsedActivity, "Undo"),
    "lemmy/undo_remove_note.json": (ParsedActivity, "Undo"),
    "lemmy/update_community.json": (ParsedActivity, "Update"),
    "lemmy/update_page.json": (ParsedActivity, "Update"),
    "lotide/create_note_reply.json": (ParsedActivity, "Create"),
    "lotide/create_note_with_image.json": (ParsedActivity, "Create"),
    "lotide/create_page.json": (ParsedActivity, "Create"),
    "lotide/delete_note.json": (ParsedActivity, "Delete"),
    "lotide/follow.json": (ParsedActivity, "Follow"),
    "lotide/group.json": (ParsedActor, "Group"),
    "lotide/note.json": (ParsedObject, "Note"),
    "lotide/page.json": (ParsedObject, "Page"),
    "lotide/person.json": (ParsedActor, "Person"),
    "lotide/tombstone.json": (ParsedObject, "Tombstone"),
    "mastodon/accept_follow_2018.json": (ParsedActivity, "Accept"),
    "mastodon/announce_2018.json": (ParsedActivity, "Announce"),
    "mastodon/announce_inline_note_2018.json": (ParsedActivity, "Announce"),
    "mastodon/application_invisible_relay_actor.json": (ParsedActor, "Application"),
    "mastodon/block_2018.json": (ParsedActivity, "Block"),
    "mastodon/create_note_2018.json": (ParsedActivity, "Create"),
    "mastodon/create_note_content_warning_2018.json": (ParsedActivity, "Create"),
    "mastodon/create_note_hashtag_2018.json": (ParsedActivity, "Create"),
    "mastodon/create_note_reply.json": (ParsedActivity, "Create"),
    "mastodon/create_note_with_attachment_2018.json": (ParsedActivity, "Create"),
    "mastodon/create_poll_vote.json": (ParsedActivity, "Create"),
    "mastodon/create_question_poll.json": (ParsedActivity, "Create"),
    "mastodon/delete_actor_2018.json": (ParsedActivity, "Delete"),
    "mastodon/delete_tombstone_2018.json": (ParsedActivity, "Delete"),
    "mastodon/featured_collection.json": (ParsedCollection, "OrderedCollection"),
    "mastodon/flag_report.json": (ParsedActivity, "Flag"),
    "mastodon/follow.json": (ParsedActivity, "Follow"),
    "mastodon/follow_2018.json": (ParsedActivity, "Follow"),
    "mastodon/followers_collection_hidden.json": (ParsedCollection, "OrderedCollection"),
    "mastodon/followers_collection_page.json": (ParsedCollection, "OrderedCollectionPage"),
    "mastodon/like.json": (ParsedActivity, "Like"),
    "mastodon/like_2018.json": (ParsedActivity, "Like"),
    "mastodon/note_direct_message.json": (ParsedObject, "Note"),
    "mastodon/note_mentioning_group.json": (ParsedObject, "Note"),
    "mastodon/note_reply.json": (ParsedObject, "Note"),
    "mastodon/note_reply_many_mentions.json": (ParsedObject, "Note"),
    "mastodon/note_with_attachment.json": (ParsedObject, "Note"),
    "mastodon/note_with_image_and_hashtag.json": (ParsedObject, "Note"),
    "mastodon/person.json": (ParsedActor, "Person"),
    "mastodon/person_activitypub_academy.json": (ParsedActor, "Person"),
    "mastodon/person_also_known_as.json": (ParsedActor, "Person"),
    "mastodon/person_featured.json": (ParsedActor, "Person"),
    "mastodon/person_identity_proof.json": (ParsedActor, "Person"),
    "mastodon/person_profile_fields_hashtags.json": (ParsedActor, "Person"),
    "mastodon/reject_follow_2018.json": (ParsedActivity, "Reject"),
    "mastodon/undo_block_2018.json": (ParsedActivity, "Undo"),
    "mastodon/undo_follow_2018.json": (ParsedActivity, "Undo"),
    "mastodon/undo_like.json": (ParsedActivity, "Undo"),
    "mastodon/undo_like_2018.json": (ParsedActivity, "Undo"),
    "mastodon/update_person_2018.json": (ParsedActivity, "Update"),
    "mbin/accept_follow.json": (ParsedActivity, "Accept"),
    "mbin/instance_application.json": (ParsedActor, "Application"),
    "misskey/like_custom_emoji_reaction.json": (ParsedActivity, "Like"),
    "misskey/note.json": (ParsedObject, "Note"),
    "misskey/note_mfm_no_context.json": (ParsedObject, "Note"),
    "misskey/note_quote.json": (ParsedObject, "Note"),
    "misskey/person.json": (ParsedActor, "Person"),
    "misskey/person_emoji.json": (ParsedActor, "Person"),
    "misskey/question_poll_no_end_time.json": (ParsedObject, "Question"),
    "mitra/accept_follow_with_proof.json": (ParsedActivity, "Accept"),
    "mitra/create_note_with_proof.json": (ParsedActivity, "Create"),
    "mitra/person_multikey.json": (ParsedActor, "Person"),
    "mobilizon/event.json": (ParsedObject, "Event"),
    "mobilizon/event_2019.json": (ParsedObject, "Event"),
    "nodebb/category_group.json": (ParsedActor, "Group"),
    "nodebb/topic_article.json": (ParsedObject, "Article"),
    "oeee-cafe/person.json": (ParsedActor, "Person"),
    "osada/follow.json": (ParsedActivity, "Follow"),
    "owncast/note_with_image_no_context.json": (ParsedObject, "Note"),
    "peertube/announce_video.json": (ParsedActivity, "Announce"),
    "peertube/channel_group.json": (ParsedActor, "Group"),
    "peertube/create_video.json": (ParsedActivity, "Create"),
    "peertube/create_video_hls_only.json": (ParsedActivity, "Create"),
    "peertube/person.json": (ParsedActor, "Person"),
    "peertube/video.json": (ParsedObject, "Video"),
    "peertube/video_2018.json": (ParsedObject, "Video"),
    "piefed/group.json": (ParsedActor, "Group"),
    "piefed/multi_community_collection.json": (ParsedCollection, "OrderedCollection"),
    "piefed/page.json": (ParsedObject, "Page"),
    "pleroma/create_note.json": (ParsedActivity, "Create"),
    "pleroma/delete.json": (ParsedActivity, "Delete"),
    "pleroma/follow.json": (ParsedActivity, "Follow"),
    "pleroma/followers_collection.json": (ParsedCollection, "OrderedCollection"),
    "pleroma/note_emoji_in_summary.json": (ParsedObject, "Note"),
    "pleroma/note_reply.json": (ParsedObject, "Note"),
    "pleroma/note_reply_many_mentions.json": (ParsedObject, "Note"),
    "pleroma/note_reply_source_string.json": (ParsedObject, "Note"),
    "pleroma/note_tag_uri_id.json": (ParsedObject, "Note"),
    "pleroma/person.json": (ParsedActor, "Person"),
    "pleroma/person_capabilities.json": (ParsedActor, "Person"),
    "pleroma/person_emoji.json": (ParsedActor, "Person"),
    "pleroma/person_no_name.json": (ParsedActor, "Person"),
    "pleroma/question_poll.json": (ParsedObject, "Question"),
    "pleroma/question_poll_with_attachment.json": (ParsedObject, "Question"),
    "plume/article.json": (ParsedObject, "Article"),
    "plume/article_2018.json": (ParsedObject, "Article"),
    "plume/blog_group.json": (ParsedActor, "Group"),
    "plume/create_article.json": (ParsedActivity, "Create"),
    "plume/person.json": (ParsedActor, "Person"),
    "prismo/create_article_url_object.json": (ParsedActivity, "Create"),
    "prismo/person.json": (ParsedActor, "Person"),
    "smithereen/create_note.json": (ParsedActivity, "Create"),
    "smithereen/note.json": (ParsedObject, "Note"),
    "smithereen/person.json": (ParsedActor, "Person"),
    "wordpress-pterotype/article.json": (ParsedObject, "Article"),
    "wordpress-pterotype/create_article.json": (ParsedActivity, "Create"),
    "wordpress-pterotype/organization.json": (ParsedActor, "Organization"),
    "wordpress/announce_update_article.json": (ParsedActivity, "Announce"),
    "wordpress/article.json": (ParsedObject, "Article"),
    "wordpress/blog_group.json": (ParsedActor, "Group"),
    "wordpress/comment_note.json": (ParsedObject, "Note"),
    "wordpress/person.json": (ParsedActor, "Person"),
    "zap/create_image.json": (ParsedActivity, "Create"),
    "zap/person.json": (ParsedActor, "Person"),
}

# Deliberate refusals, with the reason the DocumentError states.
REFUSED: dict[str, str] = {
    # Litepub chat is a separate, non-Mastodon feature; Atrium DMs are direct Notes.
    "lemmy/create_chat_message_0.19.json": "Create of unsupported object type ChatMessage",
    "pleroma/chat_message.json": "unsupported type ChatMessage",
    # PieFed's Feed is a multi-community aggregate, not one of the actor types Mastodon accepts.
    "piefed/feed.json": "unsupported type Feed",
    # A map place is not a post: nothing to show in a timeline.
    "places-pub/place_multi_type.json": "unsupported type Place, geojson:Feature",
}


def load(relative: str) -> Any:
    """A fixture decoded the way the inbox decodes bodies (orjson: the last duplicate key wins)."""
    return orjson.loads((FIXTURES / relative).read_bytes())


def relative_name(path: Path) -> str:
    return f"{path.parent.name}/{path.name}"


def test_every_fixture_has_a_stated_outcome():
    # Given the fixture folder
    names = {relative_name(p) for p in fixture_paths()}
    # Then each file is listed exactly once, accepted or refused
    assert names == set(ACCEPTED) | set(REFUSED)
    assert not set(ACCEPTED) & set(REFUSED)
    assert len(names) == 196


@pytest.mark.parametrize("name", sorted(ACCEPTED))
def test_accepted_fixture_parses_to_its_type(name):
    # Given a document another server sent
    doc = load(name)
    expected_class, expected_type = ACCEPTED[name]
    # When it is parsed by its type
    parsed = parse_document(doc)
    # Then it is the expected kind, and its own parser accepts it too
    assert isinstance(parsed, expected_class)
    assert parsed.type == expected_type
    assert expected_class.from_document(doc) == parsed


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_refused_fixture_states_its_reason(name):
    # Given a document of a kind Atrium does not handle
    doc = load(name)
    # When it is parsed, Then it is refused with the stated reason
    with pytest.raises(DocumentError) as refused:
        parse_document(doc)
    assert str(refused.value) == REFUSED[name]


def test_mastodon_person_has_key_and_shared_inbox():
    actor = parse_document(load("mastodon/person.json"))
    assert isinstance(actor, ParsedActor)
    assert actor.id == "https://masto.qa.urbanwildlife.biz/users/mastodon"
    assert actor.preferred_username == "mastodon"
    assert actor.public_key_id == "https://masto.qa.urbanwildlife.biz/users/mastodon#main-key"
    assert actor.public_key_pem is not None
    assert actor.public_key_pem.startswith("-----BEGIN PUBLIC KEY-----")
    assert actor.shared_inbox == "https://masto.qa.urbanwildlife.biz/inbox"
    assert actor.featured == "https://masto.qa.urbanwildlife.biz/users/mastodon/collections/featured"
    assert actor.published == datetime(2022, 10, 3, tzinfo=UTC)
    assert actor.discoverable is False


def test_lemmy_group_without_context_is_a_group_with_moderators():
    # Lemmy stores its bodies without @context (fixtures README)
    doc = load("lemmy/group.json")
    assert "@context" not in doc
    group = parse_document(doc)
    assert isinstance(group, ParsedActor)
    assert group.type == "Group"
    assert group.preferred_username == "tenforward"
    assert group.shared_inbox == "https://enterprise.lemmy.ml/inbox"
    assert group.moderators == "https://enterprise.lemmy.ml/c/tenforward/moderators"
    assert group.icon_url == "https://enterprise.lemmy.ml/pictrs/image/waqyZwLAy4.webp"
    assert group.image_url == "https://enterprise.lemmy.ml/pictrs/image/Wt8zoMcCmE.jpg"
    assert group.following is None


def test_misskey_note_without_context_keeps_hashtags_and_mentions():
    note = parse_document(load("misskey/note_mfm_no_context.json"))
    assert isinstance(note, ParsedObject)
    assert note.content == "this does not get replaced"
    assert note.hashtags == (Hashtag("dancedance", "https://misskey.local/tags/dancedance"),)
    assert [m.href for m in note.mentions] == [
        "http://localhost:4001/users/akkoma_user",
        "http://misskey.local/users/remote_user",
        "http://misskey.local/users/full_tag_remote_user",
    ]
    assert note.in_reply_to is None
    assert note.to == (AS_PUBLIC,)


def test_kroeg_announce_with_embedded_actor_keeps_only_its_id():
    announce = parse_document(load("kroeg/announce_inline_actor.json"))
    assert isinstance(announce, ParsedActivity)
    assert announce.actor == "https://puckipedia.com/"
    # cc is a bare string in this file
    assert announce.cc == ("http://mastodon.example.org/users/admin",)
    assert isinstance(announce.object, ParsedObject)
    # the note's author is also embedded, and its sensitive flag spelled as:sensitive
    assert announce.object.attributed_to == "http://mastodon.example.org/users/admin"
    assert announce.object.language == "en"


def test_kroeg_value_object_boolean():
    # {"@value": "False", "type": "xsd:boolean"} on the embedded author
    doc = load("kroeg/announce_inline_actor.json")
    author = ParsedActor.from_document(doc["object"]["attributedTo"])
    assert author.manually_approves_followers is False
    assert author.shared_inbox == "https://mastodon.social/inbox"


def test_kroeg_person_endpoints_as_iri_gives_no_shared_inbox():
    actor = parse_document(load("kroeg/person.json"))
    assert isinstance(actor, ParsedActor)
    assert actor.shared_inbox is None
    assert actor.public_key_id == "https://puckipedia.com/#key"


def test_mastodon_poll_options_and_counts():
    create = parse_document(load("mastodon/create_question_poll.json"))
    assert isinstance(create, ParsedActivity)
    question = create.object
    assert isinstance(question, ParsedObject)
    assert question.poll is not None
    assert question.poll.options == (
        PollOption("Dunno", 0),
        PollOption("Everyone knows that!", 1),
        PollOption("25 char limit is dumb", 0),
        PollOption("I can't even fit a funny", 1),
    )
    assert question.poll.multiple is False
    assert question.poll.end_time == datetime(2019, 5, 11, 9, 3, 36, tzinfo=UTC)
    assert question.poll.closed is False
    assert question.content_map == {"en": "<p>Why is Tenshi eating a corndog so cute?</p>"}


def test_pleroma_question_with_duplicate_keys_reads_the_last_ones():
    # "closed" and "content" appear twice; orjson, like json, keeps the last
    question = parse_document(load("pleroma/question_poll_with_attachment.json"))
    assert isinstance(question, ParsedObject)
    assert question.content == "can you vote on this poll?"
    assert question.poll is not None
    # "anyOf": [] must not hide the six oneOf options
    assert question.poll.multiple is False
    assert [o.name for o in question.poll.options] == ["a", "A", "Aa", "AA", "AAa", "AAA"]
    assert [o.votes for o in question.poll.options] == [0, 0, 0, 0, 1, 3]
    # a naive timestamp is read as UTC
    assert question.poll.closed_at == datetime(2019, 9, 19, 0, 32, 36, 785333, tzinfo=UTC)
    assert question.poll.closed is True
    assert question.poll.voters_count == 4  # Pleroma lists voters instead of counting them
    assert question.attachments[0].media_type == "image/jpeg"


def test_misskey_poll_with_null_end_time():
    question = parse_document(load("misskey/question_poll_no_end_time.json"))
    assert isinstance(question, ParsedObject)
    assert question.poll is not None
    assert question.poll.end_time is None
    assert question.poll.options == (PollOption("Working", 0), PollOption("Broken af", 1))


def test_places_pub_multi_type_is_read_but_refused():
    doc = load("places-pub/place_multi_type.json")
    assert get_types(doc) == ("Place", "geojson:Feature")
    with pytest.raises(DocumentError, match="unsupported type Place"):
        parse_document(doc)


@pytest.mark.parametrize(
    ("name", "field", "expected"),
    [
        ("owncast/note_with_image_no_context.json", "to", (AS_PUBLIC,)),
        ("funkwhale/audio.json", "to", (AS_PUBLIC,)),
        ("kroeg/create_note_single_emoji_tag.json", "to", (AS_PUBLIC,)),
        ("kroeg/create_note_single_emoji_tag.json", "cc", ("https://puckipedia.com/followers",)),
    ],
)
def test_addressing_given_as_a_string(name, field, expected):
    parsed = parse_document(load(name))
    assert getattr(parsed, field) == expected


def test_single_tag_objects_are_read_like_arrays():
    emoji_note = parse_document(load("kroeg/create_note_single_emoji_tag.json")).object  # type: ignore[union-attr]
    hashtag_note = parse_document(load("kroeg/create_note_single_hashtag_tag.json")).object  # type: ignore[union-attr]
    assert isinstance(emoji_note, ParsedObject)
    assert isinstance(hashtag_note, ParsedObject)
    assert emoji_note.emojis == (
        Emoji(
            name="icon_e_smile",
            url="https://puckipedia.com/forum/images/smilies/icon_e_smile.png",
            id="https://puckipedia.com/forum/images/smilies/icon_e_smile",
            media_type="image/png",
        ),
    )
    assert hashtag_note.hashtags == (Hashtag("test", "https://puckipedia.com/ur33-818k/note/hashtag"),)


def test_mastodon_attachment_keeps_alt_blurhash_size_and_focus():
    note = parse_document(load("mastodon/note_with_attachment.json"))
    assert isinstance(note, ParsedObject)
    (attachment,) = note.attachments
    assert attachment.media_type == "image/jpeg"
    assert attachment.name is not None
    assert attachment.name.startswith("The KDE dragons")
    assert attachment.blurhash == "USQv:h-W-qI-^,W;RPs=^-R%NZxbo#sDobSc"
    assert (attachment.width, attachment.height) == (1500, 1095)
    assert attachment.focal_point == (0.0, 0.0)
    assert note.mentions == (Mention("https://lemmy.kde.social/c/kde", "@kde@lemmy.kde.social"),)
    assert note.language == "en"


def test_quotes_from_misskey_and_fedibird():
    misskey = parse_document(load("misskey/note_quote.json"))
    fedibird = parse_document(load("fedibird/note_quote.json"))
    expected = "https://mastodon.local/objects/43479e20-c0f8-4f49-bf7f-13fab8234924"
    assert isinstance(misskey, ParsedObject)
    assert isinstance(fedibird, ParsedObject)
    assert misskey.quote_url == expected
    assert fedibird.quote_url == expected


def test_mastodon_profile_fields_and_string_true_discoverable():
    actor = parse_document(load("mastodon/person_also_known_as.json"))
    assert isinstance(actor, ParsedActor)
    # "discoverable": "true" (a string)
    assert actor.discoverable is True
    assert actor.fields == (Field("foo", "bar"), Field("foo1", "bar1"))
    assert actor.also_known_as == ("http://example.org/users/foo",)


def test_pleroma_person_with_empty_name():
    actor = parse_document(load("pleroma/person_no_name.json"))
    assert isinstance(actor, ParsedActor)
    assert actor.name is None
    assert actor.preferred_username == "mewmew"


def test_peertube_video_prefers_the_watch_page_and_author_over_channel():
    create = parse_document(load("peertube/create_video.json"))
    assert isinstance(create, ParsedActivity)
    video = create.object
    assert isinstance(video, ParsedObject)
    assert video.url == "https://framatube.org/videos/watch/6050732a-8a7a-43d4-a6cd-809525a1d206"
    # attributedTo = [Person, Group]: the account, not the channel
    assert video.attributed_to == "https://framatube.org/accounts/framasoft"
    (media,) = video.attachments
    assert media.media_type == "video/mp4"
    assert media.type == "Video"


def test_zap_image_object_becomes_its_own_attachment():
    create = parse_document(load("zap/create_image.json"))
    assert isinstance(create, ParsedActivity)
    image = create.object
    assert isinstance(image, ParsedObject)
    assert image.attributed_to is None  # Zap leaves the author to the Create's actor
    assert image.url == "https://p3.macgirvin.com/photos/otest/image/cf7b64a3-8a90-4414-87bc-4d5a8cb0c313"
    assert image.attachments == (
        Attachment(
            url="https://p3.macgirvin.com/photo/cf7b64a3-8a90-4414-87bc-4d5a8cb0c313-0.jpg",
            type="Image",
            media_type="image/jpeg",
        ),
    )


def test_prismo_actor_array_and_link_url():
    create = parse_document(load("prismo/create_article_url_object.json"))
    assert isinstance(create, ParsedActivity)
    assert create.actor == "https://prismo.news/@mxb"
    assert isinstance(create.object, ParsedObject)
    assert create.object.url == "https://prismo.news/posts/83"


def test_lemmy_announce_of_create_of_page():
    announce = parse_document(load("lemmy/announce_create_page.json"))
    assert isinstance(announce, ParsedActivity)
    create = announce.object
    assert isinstance(create, ParsedActivity)
    assert create.type == "Create"
    assert isinstance(create.object, ParsedObject)
    assert create.object.type == "Page"
    # FEP-1b12 audience, as this fixture spells it (a /u/ path, not the /c/ of the group)
    assert create.object.audience == "http://enterprise.lemmy.ml/u/main"


def test_wordpress_announce_of_update_of_article_is_three_levels_deep():
    announce = parse_document(load("wordpress/announce_update_article.json"))
    assert isinstance(announce, ParsedActivity)
    assert isinstance(announce.object, ParsedActivity)
    assert announce.object.type == "Update"
    assert isinstance(announce.object.object, ParsedObject)
    assert announce.object.object.type == "Article"


def test_mastodon_flag_lists_every_reported_object():
    flag = parse_document(load("mastodon/flag_report.json"))
    assert isinstance(flag, ParsedActivity)
    assert flag.object_ids == (
        "https://example.com/users/1",
        "https://example.com/posts/380590",
        "https://example.com/posts/380591",
    )
    assert flag.content is not None


def test_mastodon_vote_is_a_create_of_a_named_note():
    vote = parse_document(load("mastodon/create_poll_vote.json"))
    assert isinstance(vote, ParsedActivity)
    assert isinstance(vote.object, ParsedObject)
    assert vote.object.name == "suya.."
    assert vote.object.content is None
    assert vote.object.in_reply_to == "https://testing.uguu.ltd/objects/9d300947-2dcb-445d-8978-9a3b4b84fa14"
    assert vote.to == ("https://testing.uguu.ltd/users/rin",)


def test_mastodon_delete_of_actor_keeps_the_id_of_the_bare_person():
    delete = parse_document(load("mastodon/delete_actor_2018.json"))
    assert isinstance(delete, ParsedActivity)
    # the embedded Person has no inbox: not an actor document, but the id is what matters
    assert delete.object is None
    assert delete.object_types == ("Person",)
    assert delete.object_id == delete.actor == "http://mastodon.example.org/users/admin"


def test_pleroma_tag_uri_ids_are_accepted():
    note = parse_document(load("pleroma/note_tag_uri_id.json"))
    assert isinstance(note, ParsedObject)
    assert note.id == "tag:shitposter.club,2017-05-05:noticeId=2827873:objectType=comment"
    assert note.in_reply_to == "tag:shitposter.club,2017-05-05:noticeId=2827849:objectType=comment"


def test_plume_article_with_171_recipients_keeps_them_all():
    article = parse_document(load("plume/article_2018.json"))
    assert isinstance(article, ParsedObject)
    assert len(article.to) == 171


def test_hidden_followers_collections():
    mastodon = parse_document(load("mastodon/followers_collection_hidden.json"))
    friendica = parse_document(load("friendica/followers_collection_hidden.json"))
    assert isinstance(mastodon, ParsedCollection)
    assert isinstance(friendica, ParsedCollection)
    assert (mastodon.total_items, mastodon.items) == (437, ())
    assert mastodon.first == "http://localhost:4001/users/masto_closed/followers?page=1"
    assert (friendica.total_items, friendica.first) == (296, None)


def test_lemmy_outbox_keeps_embedded_activities_for_the_caller():
    outbox = parse_document(load("lemmy/group_outbox.json"))
    assert isinstance(outbox, ParsedCollection)
    assert outbox.ordered
    assert len(outbox.items) == 2
    assert all(isinstance(ParsedActivity.from_document(item), ParsedActivity) for item in outbox.items)


def test_mitra_person_with_multikey_still_has_its_rsa_key():
    actor = parse_document(load("mitra/person_multikey.json"))
    assert isinstance(actor, ParsedActor)
    assert actor.public_key_pem is not None


@given(json_values())
@settings(max_examples=300)
def test_parsers_refuse_arbitrary_json_only_with_document_error(value):
    # Given any JSON value, When each parser reads it, Then only DocumentError escapes
    for parser in (
        parse_document,
        ParsedActor.from_document,
        ParsedObject.from_document,
        ParsedActivity.from_document,
        ParsedCollection.from_document,
        ParsedWebFinger.from_document,
    ):
        try:
            parser(value)
        except DocumentError:
            pass


@given(document_like())
@settings(max_examples=400)
def test_parsers_survive_hostile_documents(doc):
    for parser in (
        parse_document,
        ParsedActor.from_document,
        ParsedObject.from_document,
        ParsedActivity.from_document,
        ParsedCollection.from_document,
    ):
        try:
            parser(doc)
        except DocumentError as error:
            assert str(error)  # a refusal always says why


@given(mutated_fixtures())
@settings(max_examples=300)
def test_parsers_survive_mutated_fixtures(doc):
    try:
        parsed = parse_document(doc)
    except DocumentError as error:
        assert str(error)
    else:
        assert parsed.type


@given(st.sampled_from(sorted(ACCEPTED)))
@settings(max_examples=50)
def test_parsing_is_deterministic(name):
    doc = load(name)
    assert parse_document(doc) == parse_document(load(name))
