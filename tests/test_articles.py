"""Reading and cleaning articles: chrome, titles, sources, dates, encodings, ids."""
from __future__ import annotations

import json

import pytest

from chancery.search import articles, batch
from chancery.search.articles import Article, ArticleError, Failure


@pytest.mark.parametrize("line, chrome", [
    ("15205 views", True), ("0", True), ("Add comment", True), ("Rate it", True), ("Print:", True),
    ("in Telegram", True), ("Share:", True), ("Adjust font size:", True), ("Tweet", True),
    ("Putin, Kerry Hold Talks", False), ("The sides held no discussions.", False),
    ("Russia in Telegram channels said the talks went well.", False),
])
def test_chrome_lines(line, chrome):
    assert articles.is_chrome(line) is chrome


@pytest.mark.parametrize("raw, title, source, published", [
    ("International\n0\n\nBig Talks Held Today\n\nBig Talks Held Today\nThe talks were held.\n\nFinancialtribune.com",
     "Big Talks Held Today", "Financial Tribune", None),
    ("Roundup: Sides agree on a deal\nXinhua, March 25, 2016 Adjust font size:\nThey agreed. Endi",
     "Roundup: Sides agree on a deal", "Xinhua", "2016-03-25"),
    ("Talks end in Sochi — Kremlin / News / News agency Inforos\nRate it\nTalks end in Sochi — Kremlin\n\nText here.",
     "Talks end in Sochi — Kremlin", "Inforos", None),
    ("A headline with words\n\nBody text.\n\nVestnik Kavkaza\n\nin Telegram",
     "A headline with words", "Vestnik Kavkaza", None),
    ("A headline with words\n\nBody text.\n\nexample-news.com", "A headline with words", "Example-news", None),
    ("Reuters, 5 May 2019 \nLeaders met on Monday in a city\nBody text.",
     "Leaders met on Monday in a city", "Reuters", "2019-05-05"),
])
def test_clean_text(raw, title, source, published):
    cleaned = articles.clean_text(raw)
    assert cleaned["title"] == title
    assert cleaned["source"] == source
    assert cleaned["published"] == published
    assert title not in cleaned["body"]
    for chrome in ("Adjust font size", "Rate it", "in Telegram", "Endi", "Financialtribune.com"):
        assert chrome not in cleaned["body"]


def test_cyrillic_widget_text_is_dropped_from_english_pages():
    body = "The ministers met in the capital and spoke for hours about the war."
    raw = f"An English headline here\n\n{body}\n\nПоделиться:\nВыделенный текст слишком длинный."
    assert articles.clean_text(raw)["body"] == body


def test_cyrillic_article_keeps_its_text():
    raw = "Заголовок новости дня\n\nТекст статьи на русском языке."
    assert articles.clean_text(raw)["body"] == "Текст статьи на русском языке."


@pytest.mark.parametrize("raw", [
    "A headline with words\n\nThe café opened in Genève.".encode("utf-8"),
    "\ufeffA headline with words\n\nThe café opened in Genève.".encode("utf-8"),
    "A headline with words\n\nThe café opened in Genève.".encode("latin-1"),
])
def test_encodings(tmp_path, raw):
    path = tmp_path / "a.txt"
    path.write_bytes(raw)
    [article] = articles.read_path(path)
    assert article.title == "A headline with words"
    assert article.body == "The café opened in Genève."


@pytest.mark.parametrize("content, reason", [
    (b"", "empty"),
    (b"   \n\n", "empty"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary"),
    (b"Hi\n\nno", "no title"),
])
def test_unreadable_text_files(tmp_path, content, reason):
    path = tmp_path / "bad.txt"
    path.write_bytes(content)
    [failure] = articles.read_path(path)
    assert isinstance(failure, Failure)
    assert failure.where == str(path)
    assert reason in failure.reason


def test_same_content_gives_the_same_id(tmp_path):
    text = "A headline with words\n\nSome body."
    (tmp_path / "a.txt").write_text(text)
    (tmp_path / "b.txt").write_text(text)
    ids = {a.id for a in batch.read([tmp_path])}
    assert len(ids) == 1


def test_json_record_fields():
    article = articles.from_record({
        "id": "x1", "title": "Lavrov meets Kerry", "body": "Sergei Lavrov met John Kerry in Geneva.",
        "source": "xinhuanet.com", "url": "https://example.org/a", "published": "2016-03-25T10:00:00Z"})
    assert isinstance(article, Article)
    assert (article.id, article.source, article.published) == ("x1", "Xinhua", "2016-03-25")
    assert article.persons == ["Sergey Lavrov", "John Kerry"]


def test_json_record_without_id_gets_a_stable_one():
    record = {"title": "A title here", "body": "Body text."}
    assert articles.from_record(record).id == articles.from_record(dict(record)).id


@pytest.mark.parametrize("record, message, field", [
    ({"title": "T"}, "missing body", "body"),
    ({"title": "T", "body": "   "}, "missing body", "body"),
    ({"title": "T", "body": 5}, "body must be a string, not a number", "body"),
    ({"title": 5, "body": "text"}, "title must be a string, not a number", "title"),
    ({"title": "T", "body": "text", "url": 5}, "url must be a string, not a number", "url"),
    ({"title": "T", "body": "text", "url": ["http://a.example"]}, "url must be a string, not a list", "url"),
    ({"title": "T", "body": "text", "source": {"name": "Xinhua"}}, "source must be a string, not an object",
     "source"),
    ({"title": "T", "body": "text", "source": True}, "source must be a string, not a boolean", "source"),
    ({"id": ["a"], "title": "T", "body": "text"}, "id must be a string, not a list", "id"),
    ({"id": 1.5, "title": "T", "body": "text"}, "id must be a string, not a number", "id"),
    ({"title": "T", "body": "text", "published": 20200501}, "published must be a string", "published"),
    ({"title": "T", "body": "text", "published": "yesterday"}, "published is not a date", "published"),
    ([1, 2], "expected a JSON object, got a list", None),
])
def test_bad_json_records(record, message, field):
    with pytest.raises(ArticleError, match=message) as raised:
        articles.from_record(record)
    assert raised.value.field == field


def test_integer_id_is_kept_as_its_digits():
    assert articles.from_record({"id": 42, "title": "A note on talks", "body": "Talks went on."}).id == "42"


@pytest.mark.parametrize("field", ["title", "body", "source", "url"])
def test_lone_surrogates_are_replaced(field):
    record = {"title": "A note on talks", "body": "Talks went on in Geneva.", field: "cut \ud800 text"}
    article = articles.from_record(record)
    value = getattr(article, field) or ""
    assert "\ud800" not in value
    value.encode("utf-8")  # encodable now


def test_deep_json_is_invalid_json_not_a_crash(tmp_path):
    path = tmp_path / "deep.jsonl"
    good = json.dumps({"id": "g", "title": "A note on talks", "body": "Talks went on."})
    path.write_text(good + "\n" + "[" * 5000 + "]" * 5000 + "\n", encoding="utf-8")
    found = list(articles.read_path(path))
    assert [a.id for a in found if isinstance(a, Article)] == ["g"]
    assert [(f.where, "nested too deeply" in f.reason) for f in found if isinstance(f, Failure)] == \
        [(f"{path}:2", True)]


def test_json_lines_with_a_broken_line(tmp_path):
    path = tmp_path / "batch.jsonl"
    path.write_text("\n".join([
        json.dumps({"id": "a", "title": "First title here", "body": "One."}),
        '{"id": "b", "title": ',
        json.dumps({"id": "c", "title": "Third title here", "body": "Three."}),
    ]))
    items = list(articles.read_path(path))
    assert [getattr(i, "id", None) for i in items] == ["a", None, "c"]
    assert items[1].where == f"{path}:2"
    assert "invalid JSON" in items[1].reason


def test_json_list_file(tmp_path):
    path = tmp_path / "list.json"
    path.write_text(json.dumps([{"id": "a", "title": "A title", "body": "x"}, {"id": "b"}]))
    items = list(articles.read_path(path))
    assert items[0].id == "a"
    assert items[1].where == f"{path}[2]"


def test_sidecar_metadata_applies_to_its_folder(tmp_path):
    (tmp_path / "one.txt").write_text("A headline with words\n\nBody.")
    (tmp_path / "_metadata.json").write_text(json.dumps(
        {"one.txt": {"published": "2016-03-24", "url": "https://example.org/1", "id": "given"}}))
    [article] = batch.read([tmp_path])
    assert (article.id, article.published, article.url) == ("given", "2016-03-24", "https://example.org/1")


def test_broken_sidecar_is_reported(tmp_path):
    (tmp_path / "one.txt").write_text("A headline with words\n\nBody.")
    (tmp_path / "_metadata.json").write_text("{broken")
    items = list(batch.read([tmp_path]))
    assert any(isinstance(i, Failure) and "_metadata.json" in i.where for i in items)
    assert any(isinstance(i, Article) for i in items)


def test_missing_path_is_a_failure(tmp_path):
    [failure] = batch.read([tmp_path / "nope.txt"])
    assert "no such file" in failure.reason


@pytest.mark.parametrize("text, script, share", [
    ("Lavrov met Kerry", "LATIN", 1.0),
    ("Поделиться", "CYRILLIC", 1.0),
    ("Поделиться", "LATIN", 0.0),
    ("Moscow Москва", "LATIN", 0.5),
    ("Ñandú café straße", "LATIN", 1.0),
    ("ｆｕｌｌ", "LATIN", 1.0),
    ("Αθήνα", "LATIN", 0.0),
    ("2016-03-24", "LATIN", 0.0),
    ("", "CYRILLIC", 0.0),
])
def test_script_share(text, script, share):
    assert articles._script_share(text, script) == pytest.approx(share)
