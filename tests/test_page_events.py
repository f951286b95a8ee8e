"""Events and meetings on the search page, in a real Chromium against the real server."""
from __future__ import annotations

import pytest

from test_page import browser, page, params, server, status  # noqa: F401  (fixtures)

pytestmark = pytest.mark.browser
KERRY_SOURCES = "4 reports: Financial Tribune, Vestnik Kavkaza, Xinhua"


def view_ready(page, view: str) -> None:
    page.wait_for_function(f"() => !document.getElementById('{view}').hidden && "
                           f"document.getElementById('{view}').getAttribute('aria-busy') === 'false'")


def test_results_grouped_by_event(page):
    page.goto("/?q=Putin")
    assert status(page).startswith("5 articles")
    page.check("#group-events")
    page.wait_for_function("() => location.search.includes('group=events')")
    assert status(page).startswith("2 events")
    lines = page.locator(".event-line summary")
    assert lines.count() == 1 and lines.first.inner_text() == KERRY_SOURCES
    lines.first.click()
    members = page.locator(".event-members li")
    members.nth(3).wait_for()
    dates = [members.nth(i).locator("time").get_attribute("datetime") for i in range(members.count())]
    assert dates == sorted(dates) and len(dates) == 4
    # Facets count events: Russia is in both.
    assert page.locator("details[data-facet=country] li", has_text="Russia").first.locator(".count").inner_text() \
        == "2"
    page.reload()
    assert status(page).startswith("2 events") and page.is_checked("#group-events")
    page.uncheck("#group-events")
    page.wait_for_function("() => !location.search.includes('group=events')")
    assert status(page).startswith("5 articles")


def test_event_view_with_timeline(page):
    page.goto("/?q=Kerry&group=events")
    status(page)
    page.locator(".event-line summary").first.click()
    page.click("text=Event timeline →")
    view_ready(page, "event-view")
    event = params(page)["event"][0]
    assert page.locator("#event-timeline li").count() == 4
    assert "4 reports · 23 Mar 2016 – 25 Mar 2016" in page.locator("#event-meta").inner_text()
    assert page.locator("#results").is_hidden()
    page.click("#event-view .back-to-results")
    page.wait_for_function("() => !location.search.includes('event=')")
    assert status(page).startswith("1 event")
    # The view is in the URL: a shared link opens it.
    page.goto(f"/?event={event}")
    view_ready(page, "event-view")
    page.locator("#event-timeline a").first.click()
    page.wait_for_function("() => location.search.includes('article=') && !location.search.includes('event=')")
    view_ready(page, "reader")


def test_meetings_from_a_person_chip(page):
    page.goto("/?q=Pompeo")
    status(page)
    page.click(".result a[aria-label='Meetings of Vladimir Putin']")
    page.wait_for_function("() => new URLSearchParams(location.search).get('meetings') === 'Vladimir Putin'")
    view_ready(page, "meetings-view")
    assert page.locator("#meetings-title").inner_text() == "Whom Vladimir Putin met"
    rows = page.locator(".counterpart")
    people = [rows.nth(i).locator("h3").inner_text() for i in range(rows.count())]
    assert people == ["John Kerry", "Sergey Lavrov", "Mike Pompeo"]
    assert rows.first.locator(".meta").inner_text().startswith("4 reports · 24 Mar 2016 – 25 Mar 2016")
    rows.nth(2).locator("a").first.click()
    page.wait_for_function("() => location.search.includes('article=') && !location.search.includes('meetings=')")
    view_ready(page, "reader")
    assert "Pompeo" in page.locator("#reader-title").inner_text()
    page.go_back()
    view_ready(page, "meetings-view")
    assert page.locator(".counterpart").count() == 3
