"""The people directory (with department filter) and the org chart on profiles."""

from __future__ import annotations

from .conftest import Browser, Site


async def test_directory_lists_colleagues_and_filters_by_department(site: Site, alice: Browser) -> None:
    everyone = (await alice.get("/directory")).text
    for name in ("Alice Martin", "Bob Locked", "Carol Manager"):
        assert name in everyone
    assert "atrium.internal" not in everyone
    engineering = (await alice.get("/directory?department=Engineering")).text
    assert "Alice Martin" in engineering and "Carol Manager" in engineering and "Bob Locked" not in engineering
    assert '<option selected>Engineering</option>' in engineering


async def test_directory_search_by_title(site: Site, alice: Browser) -> None:
    page = (await alice.get("/directory?q=head+of")).text
    assert "Carol Manager" in page and '<span class="acct">@alice</span>' not in page
    nobody = (await alice.get("/directory?q=zzzz")).text
    assert "Nobody matches." in nobody


async def test_department_org_chart_nests_reports_under_their_manager(site: Site, alice: Browser) -> None:
    page = (await alice.get("/directory?department=Engineering")).text
    chart = page.split('<ul class="org">', 1)[1].split("</section>", 1)[0]
    # carol heads the department; alice is listed under her
    assert chart.index("Carol Manager") < chart.index("<ul>") < chart.index("Alice Martin")


def test_org_chart_survives_a_management_loop() -> None:
    from server.web.directory import org_chart
    from webui.render import RenderContext

    def person(pid: int, manager: int | None) -> dict[str, object]:
        return {"id": pid, "username": f"p{pid}", "domain": None, "display_name": f"P{pid}", "note": "", "url": None,
                "uri": f"https://x/{pid}", "avatar_path": None, "avatar_remote_url": None, "locked": 0, "bot": 0,
                "fields": "[]", "department": "D", "title": None, "location": None, "pronouns": None,
                "followers_count": 0, "following_count": 0, "statuses_count": 0, "manager_id": manager}

    rows = [person(1, 2), person(2, 1), person(3, None), person(4, 3)]
    chart = org_chart(rows, RenderContext(locale="en", now_ms=0))   # type: ignore[arg-type]
    names = []

    def walk(nodes: list) -> None:  # type: ignore[type-arg]
        for node in nodes:
            names.append(node.person.name)
            walk(node.reports)

    walk(chart)
    assert sorted(names) == ["P1", "P2", "P3", "P4"]
    assert chart[0].person.name == "P3" and chart[0].reports[0].person.name == "P4"
