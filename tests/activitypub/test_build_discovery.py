"""WebFinger, host-meta and NodeInfo documents we serve."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import orjson
import pytest

from activitypub.builders import build_host_meta, build_nodeinfo, build_nodeinfo_discovery, build_webfinger
from activitypub.constants import NODEINFO_REL_20, NODEINFO_REL_21
from activitypub.parse import ParsedWebFinger

ALICE = "https://paris.example/users/alice"


def test_webfinger_round_trips():
    doc = build_webfinger(
        subject="acct:alice@paris.example",
        actor_id=ALICE,
        profile_url="https://paris.example/@alice",
        subscribe_template="https://paris.example/authorize_interaction?uri={uri}",
    )
    assert orjson.loads(orjson.dumps(doc)) == doc
    parsed = ParsedWebFinger.from_document(doc)
    assert parsed.subject == "acct:alice@paris.example"
    assert parsed.actor_id == ALICE
    assert parsed.aliases == (ALICE, "https://paris.example/@alice")
    assert parsed.profile_page == "https://paris.example/@alice"
    assert parsed.subscribe_template == "https://paris.example/authorize_interaction?uri={uri}"
    assert {"rel": "self", "type": "application/activity+json", "href": ALICE} in doc["links"]


def test_webfinger_minimal():
    doc = build_webfinger(subject="acct:alice@paris.example", actor_id=ALICE)
    assert doc == {
        "subject": "acct:alice@paris.example",
        "aliases": [ALICE],
        "links": [{"rel": "self", "type": "application/activity+json", "href": ALICE}],
    }


def test_host_meta_points_at_webfinger_and_escapes():
    xrd = build_host_meta("https://paris.example/")
    root = ET.fromstring(xrd)  # our own output, not remote input
    (link,) = root
    assert link.tag == "{http://docs.oasis-open.org/ns/xri/xrd-1.0}Link"
    assert link.attrib["rel"] == "lrdd"
    assert link.attrib["template"] == "https://paris.example/.well-known/webfinger?resource={uri}"
    hostile = ET.fromstring(build_host_meta('https://a.example/"><x y="'))
    assert hostile[0].attrib["template"].startswith('https://a.example/"><x y="')


def test_nodeinfo_discovery():
    doc = build_nodeinfo_discovery(
        nodeinfo_20="https://paris.example/nodeinfo/2.0", nodeinfo_21="https://paris.example/nodeinfo/2.1"
    )
    assert doc == {
        "links": [
            {"rel": NODEINFO_REL_20, "href": "https://paris.example/nodeinfo/2.0"},
            {"rel": NODEINFO_REL_21, "href": "https://paris.example/nodeinfo/2.1"},
        ]
    }


@pytest.mark.parametrize("version", ["2.0", "2.1"])
def test_nodeinfo_documents(version):
    doc = build_nodeinfo(
        version=version,
        software_name="atrium",
        software_version="0.1.0",
        open_registrations=False,
        users_total=10,
        users_active_month=7,
        users_active_halfyear=9,
        local_posts=1234,
        software_repository="https://git.example/atrium",
        metadata={"nodeName": "Paris"},
    )
    assert orjson.loads(orjson.dumps(doc)) == doc
    assert doc["version"] == version
    assert doc["protocols"] == ["activitypub"]
    assert doc["services"] == {"inbound": [], "outbound": []}
    assert doc["usage"] == {"users": {"total": 10, "activeMonth": 7, "activeHalfyear": 9}, "localPosts": 1234}
    assert doc["metadata"] == {"nodeName": "Paris"}
    # 2.0's schema forbids software keys other than name and version
    expected_software = {"name": "atrium", "version": "0.1.0"}
    if version == "2.1":
        expected_software["repository"] = "https://git.example/atrium"
    assert doc["software"] == expected_software


@pytest.mark.parametrize(("version", "name"), [("3.0", "atrium"), ("2.1", "Atrium Server")])
def test_nodeinfo_refuses_invalid_documents(version, name):
    with pytest.raises(ValueError, match="NodeInfo"):
        build_nodeinfo(
            version=version,
            software_name=name,
            software_version="0",
            open_registrations=False,
            users_total=0,
            users_active_month=0,
            users_active_halfyear=0,
            local_posts=0,
        )
