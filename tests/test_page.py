"""The search page in a real Chromium against the real server on the seeds.

CI installs Debian's chromium and sets CHANCERY_REQUIRE_ALL_TESTS=1, so a missing
browser fails these tests there instead of skipping them.
"""
from __future__ import annotations

import json
import re
import shutil
import urllib.request
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest

from conftest import TOKEN, skip_or_fail, start_server, stop_server

pytestmark = pytest.mark.browser
SCREENSHOTS = Path(__file__).resolve().parent / "screenshots"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    process, base = start_server(tmp_path_factory.mktemp("page"), {"CHANCERY_API_TOKEN": TOKEN})
    request = urllib.request.Request(base + "/api/articles", method="POST", data=json.dumps({
        "id": "xss-1", "title": "Inert <script>alert('title')</script> headline",
        "body": "Zanzibar envoys met. <img src=x onerror=alert('body')> <script>alert('body')</script>",
        "published": "2016-03-20"}).encode(),
        headers={"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"})
    urllib.request.urlopen(request, timeout=10).close()
    yield base
    stop_server(process)


@pytest.fixture(scope="module")
def browser():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        skip_or_fail("playwright is not installed")
    if not Path(CHROMIUM).exists():
        skip_or_fail(f"no Chromium at {CHROMIUM}")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, server, request):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, base_url=server)
    page = context.new_page()
    problems = []
    page.on("console", lambda m: problems.append(f"console {m.type}: {m.text}") if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    page.on("dialog", lambda d: (problems.append(f"dialog: {d.message}"), d.dismiss()))
    page.problems = problems
    yield page
    SCREENSHOTS.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{request.node.name}.png"), full_page=True)
    context.close()
    assert problems == [], problems


def params(page) -> dict:
    return parse_qs(urlparse(page.url).query)


def status(page) -> str:
    page.wait_for_function("() => document.querySelector('#results').getAttribute('aria-busy') === 'false'")
    return page.locator("#status").inner_text()


def search(page, text):
    page.fill("#q", text)
    page.press("#q", "Enter")
    page.wait_for_function(f"() => new URLSearchParams(location.search).get('q') === {json.dumps(text)}")
    return status(page)


def count(page, facet, value) -> int:
    row = page.locator(f"details[data-facet={facet}] .facet-list:not(.facet-matches) li",
                       has_text=value).first
    return int(row.locator(".count").inner_text())


def test_search_tick_or_chip_and_dates(page):
    page.goto("/")
    assert status(page).startswith("6 articles")
    assert search(page, "sanctions").startswith("2 articles")
    assert page.locator(".result").count() == 2
    assert page.locator(".snippet mark").first.inner_text().lower() == "sanctions"
    assert count(page, "country", "Ukraine") == 2

    page.check("details[data-facet=country] input[id='f-country-Belarus']")
    page.wait_for_function("() => location.search.includes('country=Belarus')")
    assert status(page).startswith("1 article")
    assert count(page, "country", "Ukraine") == 1

    page.click("details[data-facet=country] .op-button:has-text('OR')")
    page.wait_for_function("() => location.search.includes('country_op=or')")
    assert status(page).startswith("1 article")
    # Counted as checkboxes are: without the country selection itself.
    assert count(page, "country", "Ukraine") == 2

    page.click(".result .chip-person:has-text('Dmitry Suslov')")
    page.wait_for_function("() => location.search.includes('person=Dmitry+Suslov')")
    status(page)                # the chips are drawn from the answer: wait for it
    assert page.locator("#selected-chips button").count() == 2

    page.click("#selected-chips button:has-text('country: Belarus')")
    page.wait_for_function("() => !location.search.includes('Belarus')")
    status(page)
    page.click("#clear-all")
    page.wait_for_function("() => !location.search.includes('person=')")
    assert status(page).startswith("2 articles")

    page.fill("#from", "2016-03-25")
    page.dispatch_event("#from", "change")
    page.wait_for_function("() => location.search.includes('from=2016-03-25')")
    assert status(page).startswith("1 article")


def test_histogram_narrows_the_range(page):
    page.goto("/")
    status(page)
    bars = page.locator("#histogram .bar")
    assert bars.count() == 2
    bars.last.click()
    page.wait_for_function("() => location.search.includes('from=2019-05-01')")
    assert params(page)["to"] == ["2019-05-31"]
    assert status(page).startswith("1 article")
    bars = page.locator("#histogram .bar")
    bars.first.focus()
    page.keyboard.press("Enter")
    page.wait_for_function("() => location.search.includes('from=2019-05-01')")


def test_drag_across_bars_selects_a_span(page):
    page.goto("/?q=Syria")
    status(page)
    bars = page.locator("#histogram .bar")
    first, last = bars.first.bounding_box(), bars.last.bounding_box()
    page.mouse.move(first["x"] + 2, first["y"] + first["height"] - 5)
    page.mouse.down()
    page.mouse.move(last["x"] + 2, last["y"] + last["height"] - 5, steps=5)
    page.mouse.up()
    page.wait_for_function("() => location.search.includes('from=2016-03-01')")
    assert params(page)["to"] == ["2019-05-31"]


def test_read_an_article_and_a_similar_one_then_back_and_reload(page):
    page.goto("/")
    search(page, "Pompeo")
    page.click(".result h3 a")
    page.wait_for_function("() => location.search.includes('article=')")
    page.wait_for_selector("#reader:not([hidden])")
    page.wait_for_function("() => document.querySelector('#reader').getAttribute('aria-busy') === 'false'")
    assert page.locator("#reader-title").inner_text().startswith("Putin, Pompeo discuss")
    assert "Ushakov" in page.locator("#reader-body").inner_text()
    assert page.locator("#reader-entities .chip-person", has_text="Mike Pompeo").count() == 1
    first_title = page.locator("#reader-title").inner_text()

    page.click("#similar-list a >> nth=0")
    page.wait_for_function(f"() => document.querySelector('#reader-title').innerText !== {json.dumps(first_title)}"
                           " && document.querySelector('#reader').getAttribute('aria-busy') === 'false'")
    second_title = page.locator("#reader-title").inner_text()
    assert second_title not in ("Loading…", first_title)

    page.reload()
    page.wait_for_function(f"() => document.querySelector('#reader-title').innerText === {json.dumps(second_title)}")
    page.go_back()
    page.wait_for_function(f"() => document.querySelector('#reader-title').innerText === {json.dumps(first_title)}")
    page.go_back()
    page.wait_for_selector("#reader", state="hidden")
    assert status(page).startswith("1 article")
    assert page.input_value("#q") == "Pompeo"


def test_reader_marks_people_and_places_and_says_why_each_topic(page):
    page.goto("/")
    search(page, "Pompeo")
    page.click(".result h3 a")
    page.wait_for_selector("#reader:not([hidden])")
    page.wait_for_function("() => document.querySelector('#reader').getAttribute('aria-busy') === 'false'")
    people = page.locator("#reader-body mark.entity-person")
    places = page.locator("#reader-body mark.entity-country")
    assert people.count() > 0 and places.count() > 0
    assert "Mike Pompeo" in people.evaluate_all("marks => marks.map(m => m.dataset.value)")
    marked = places.evaluate_all("marks => marks.map(m => [m.dataset.value, m.textContent])")
    assert ["Russia", "Kremlin"] in marked or any(value == "Russia" for value, _ in marked)
    # The marks are plain text nodes inside <mark>: the article text itself is unchanged.
    body = page.locator("#reader-body").inner_text()
    assert "Ushakov" in body and "<mark" not in body
    reasons = page.locator("#reader-entities .topic-reasons li")
    assert reasons.count() >= 1
    assert "needs" in reasons.first.inner_text()
    assert page.locator("#reader-entities .topic-reasons li[data-topic]").count() == reasons.count()


def test_shared_link_reproduces_the_view(page):
    page.goto("/?q=Kerry&country=DPRK&country=Iran&country_op=or&sort=oldest")
    assert status(page).startswith("1 article")
    assert page.input_value("#q") == "Kerry"
    assert page.input_value("#sort") == "oldest"
    assert page.locator("details[data-facet=country] input[id='f-country-North_Korea']").is_checked()
    assert page.locator("details[data-facet=country] .op-button[aria-pressed=true]").inner_text() == "OR"


def test_suggestion_sort_and_pages(page):
    page.goto("/")
    search(page, "Lavrof sanctons")
    page.click("#suggestion a")
    page.wait_for_function("() => new URLSearchParams(location.search).get('q') === 'lavrov sanctions'")
    page.select_option("#sort", "newest")
    page.wait_for_function("() => location.search.includes('sort=newest')")
    page.goto("/?sort=newest&per_page=2")
    status(page)


def test_facet_filter_box_uses_autocomplete(page):
    page.goto("/")
    status(page)
    page.fill("#facet-person-filter", "Sergei")
    page.wait_for_selector("details[data-facet=person] .facet-matches li")
    match = page.locator("details[data-facet=person] .facet-matches label").first
    assert "Sergey Lavrov" in match.inner_text()
    match.click()
    page.wait_for_function("() => location.search.includes('person=Sergey+Lavrov')")
    assert status(page).startswith("4 articles")


def test_show_more(page):
    page.goto("/")
    status(page)
    panel = page.locator("details[data-facet=person]")
    assert panel.locator(".facet-list:not(.facet-matches) li").count() == 10
    panel.locator("button:has-text('Show more')").click()
    page.wait_for_function("() => location.search.includes('more=person')")
    status(page)
    assert page.locator("details[data-facet=person] .facet-list:not(.facet-matches) li").count() > 10


def test_states_no_results_and_errors(page):
    page.goto("/")
    assert search(page, "Zanzibar").startswith("1 article")
    page.goto("/?q=nothingmatchesthis&country=Syria")
    status(page)
    assert "No articles match" in page.locator("#message").inner_text()
    assert page.locator("#message button", has_text="country: Syria").count() == 1
    page.goto("/?q=author:smith")
    status(page)
    assert "unknown field 'author'" in page.locator("#message").inner_text()
    page.route("**/api/search*", lambda route: route.abort())
    search(page, "down")
    assert "Cannot reach the Chancery server" in page.locator("#message").inner_text()
    page.problems[:] = [p for p in page.problems if "Failed to load resource" not in p]


def test_article_text_is_never_markup(page):
    page.goto("/?q=Zanzibar")
    status(page)
    result = page.locator(".result").first
    assert "<script>alert('title')</script>" in result.locator("h3").inner_text()
    assert page.locator(".result script, .result img").count() == 0
    assert "<img src=x onerror=alert('body')>" in result.locator(".snippet").inner_text()
    result.locator("h3 a").click()
    page.wait_for_function("() => document.querySelector('#reader').getAttribute('aria-busy') === 'false'")
    assert page.locator("#reader script, #reader img").count() == 0


def test_keyboard_only(page):
    page.goto("/")
    status(page)
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "q"
    page.keyboard.type("Pompeo")
    page.keyboard.press("Enter")
    page.wait_for_function("() => location.search.includes('q=Pompeo')")
    assert status(page).startswith("1 article")
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline != "none"


def test_phone_width(browser, server):
    context = browser.new_context(viewport={"width": 375, "height": 740}, base_url=server, is_mobile=True)
    page = context.new_page()
    try:
        page.goto("/?q=Syria")
        status(page)
        assert page.evaluate("document.documentElement.scrollWidth") <= 376
        assert page.locator("#q").is_visible()
        assert page.locator(".result").count() == 5
        SCREENSHOTS.mkdir(exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / "phone.png"), full_page=True)
    finally:
        context.close()


def test_served_with_a_policy_forbidding_inline_script(page):
    response = page.goto("/")
    policy = response.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy
    status(page)
    assert page.evaluate("document.querySelectorAll('script:not([src])').length") == 0


def test_a_pasted_page_is_searched_with_a_post(page):
    posts = []
    page.on("request", lambda r: posts.append(r) if r.method == "POST" and "/api/search" in r.url else None)
    page.goto("/")
    status(page)
    text = " ".join(["Ministers in several capitals discussed new sanctions and a ceasefire."] * 80)
    assert len(text) > 5000
    assert re.match(r"\d+ articles?", search(page, text))
    assert page.locator(".result").count() > 0
    assert page.locator("#message .error").count() == 0
    assert len(posts) == 1
