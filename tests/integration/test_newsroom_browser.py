"""The newsroom in a real headless Chromium, against the real stack: articles produced to Kafka,
enriched and indexed by the real pipeline, served by `newswire ui` as a separate process.

Set NEWSWIRE_UI_SCREENSHOTS=docs to refresh the screenshots in docs/.
"""

from __future__ import annotations

import csv
import io
import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from enrich.enricher import ModelPaths
from pipeline.produce import feed_lines, produce
from pipeline.run import run_bounded
from pipeline.settings import Settings
from transforms.kafka_clients import ensure_topics

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ROOT = Path(__file__).resolve().parents[2]
SCRIPT_TITLE = "<script>alert(1)</script>"
EXTRA_ARTICLES = [
    {
        # A headline about markup: escaped in the feed, so it is text and must be shown as text.
        "id": "ui-script-title",
        "title": "&lt;script&gt;alert(1)&lt;/script&gt;",
        "body": "Security researchers in Berlin said a page that shows &lt;img src=x "
        "onerror=alert(2)&gt; as text is safe. The European Union agreed.",
        "source": "newsroom-test",
        "published_at": "2023-10-18T08:00:00Z",
    },
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Ui:
    url: str
    process: subprocess.Popen[bytes]
    log: Path


def start_ui(settings: Settings, log: Path, *args: str, env: dict[str, str] | None = None) -> Ui:
    port = free_port()
    handle = log.open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "pipeline.cli", "ui", "--port", str(port), *args],
        env={**os.environ, **settings.to_env(), **(env or {})},
        stdout=handle,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"newswire ui exited: {log.read_text()[-3000:]}")
        try:
            with urllib.request.urlopen(url + "/healthz", timeout=2):
                return Ui(url, process, log)
        except (urllib.error.URLError, ConnectionError):
            time.sleep(0.3)
    process.kill()
    raise AssertionError(f"newswire ui did not answer: {log.read_text()[-3000:]}")


def stop(ui: Ui) -> None:
    ui.process.terminate()
    try:
        ui.process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        ui.process.kill()


@pytest.fixture(scope="module")
def indexed(
    local_stack: object, model_paths: ModelPaths, sample_feed: Path
) -> Iterator[tuple[Settings, Any]]:
    """The sample feed and the extra articles, through Kafka and the real pipeline."""
    from transforms.connections import es_client

    suffix = uuid.uuid4().hex[:10]
    settings = Settings(
        topic=f"test-ui-{suffix}",
        dlq_topic=f"test-ui-{suffix}.dlq",
        group_id=f"test-ui-{suffix}",
        index=f"test-ui-{suffix}",
    )
    ensure_topics(settings.kafka, [settings.topic, settings.dlq_topic])
    lines = [*feed_lines(sample_feed), *(json.dumps(a).encode() for a in EXTRA_ARTICLES)]
    produce(settings.kafka, settings.topic, lines)
    summary = run_bounded(settings, model_paths)
    assert summary.indexed == 6 and summary.dead_lettered == 2
    client = es_client(settings.es)
    yield settings, client
    client.indices.delete(index=f"{settings.index}-v*", ignore_unavailable=True)
    client.options(ignore_status=404).indices.delete_index_template(
        name=f"{settings.index}-template"
    )
    client.close()


@pytest.fixture(scope="module")
def ui(indexed: tuple[Settings, Any], tmp_path_factory: pytest.TempPathFactory) -> Iterator[Ui]:
    settings, _client = indexed
    server = start_ui(settings, tmp_path_factory.mktemp("ui") / "ui.log")
    yield server
    stop(server)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    tab = context.new_page()
    tab.errors = []
    tab.dialogs = []
    tab.on("pageerror", lambda error: tab.errors.append(str(error)))
    tab.on("dialog", lambda dialog: (tab.dialogs.append(dialog.message), dialog.dismiss()))
    yield tab
    context.close()


def screenshot(page: Any, name: str) -> None:
    folder = os.environ.get("NEWSWIRE_UI_SCREENSHOTS")
    if folder:
        page.screenshot(path=str(ROOT / folder / f"ui-{name}.png"), full_page=False)


def test_search_with_a_facet_click_and_the_back_button(ui: Ui, page: Any, indexed: Any) -> None:
    _settings, client = indexed
    page.goto(ui.url + "/")
    assert page.locator("#result-count").inner_text().endswith("of 6 articles")
    screenshot(page, "search")
    facet = page.locator('section[data-facet="PER"] a.facet-value').first
    name = facet.locator(".name").inner_text()
    count = int(facet.locator(".count").inner_text())
    facet.click()
    page.wait_for_load_state()
    assert "per=" in page.url
    expected = client.count(index=_settings.index, query={"term": {"persons": name}})["count"]
    assert count == expected
    assert page.locator("#hits > li").count() == expected
    assert page.locator(".chips").inner_text().count(name) == 1
    page.go_back()
    page.wait_for_load_state()
    assert "per=" not in page.url
    assert page.locator("#hits > li").count() == 6
    assert not page.errors


def test_article_marks_every_mention_at_its_stored_offsets(ui: Ui, page: Any, indexed: Any) -> None:
    settings, client = indexed
    doc = client.get(index=settings.index, id="orban-putin-beijing")["_source"]
    page.goto(ui.url + "/article/orban-putin-beijing")
    screenshot(page, "article")
    for field, element in (("body", "#article-body"), ("title", "#article-title")):
        stored = sorted(
            (m["start"], m["end"], m["text"], e["type"], e["name"])
            for e in doc["entities"]
            for m in e["mentions"]
            if m["field"] == field
        )
        # Each mark's offset measured in the rendered text itself (not taken from its
        # attributes), its text, type and the entity its link leads to.
        marked = page.evaluate(
            """(selector) => {
              const root = document.querySelector(selector);
              const out = [];
              let offset = 0;
              const walk = (node) => {
                for (const child of node.childNodes) {
                  if (child.nodeType === Node.TEXT_NODE) { offset += child.data.length; continue; }
                  if (child.matches && child.matches("a.mention")) {
                    const url = new URL(child.href);
                    out.push([offset, offset + child.textContent.length, child.textContent,
                              url.searchParams.get("type"), url.searchParams.get("name")]);
                  }
                  walk(child);
                }
              };
              walk(root);
              return {text: root.textContent, marks: out};
            }""",
            element,
        )
        assert marked["text"] == doc[field]
        assert [tuple(m) for m in marked["marks"]] == stored
    assert len(doc["entities"]) > 0
    assert not page.errors


def test_entity_page_draws_its_chart(ui: Ui, page: Any, indexed: Any) -> None:
    page.goto(ui.url + "/entity?type=PER&name=Vladimir+Putin")
    page.wait_for_selector("#mentions-chart[data-drawn]")
    painted = page.evaluate(
        """() => {
          const canvas = document.getElementById("mentions-chart");
          const data = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
          let n = 0;
          for (let i = 3; i < data.length; i += 4) { if (data[i] > 0) n++; }
          return {painted: n, width: canvas.width, height: canvas.height};
        }"""
    )
    assert painted["width"] > 100 and painted["height"] > 100
    assert painted["painted"] > 1000, painted
    assert "Vladimir Putin" in page.locator("h1").inner_text()
    assert page.locator(".forms li").count() >= 1
    screenshot(page, "entity")
    assert not page.errors


def test_an_article_indexed_while_the_page_is_open_appears_live(
    ui: Ui, page: Any, indexed: Any, model_paths: ModelPaths
) -> None:
    settings, _client = indexed
    page.goto(ui.url + "/?q=harbour")
    assert page.locator("#hits > li").count() == 0
    word = "Zanzibar" + uuid.uuid4().hex[:6]
    article = {
        "id": f"ui-live-{word}",
        "title": f"Ferry service resumes at {word} harbour",
        "body": f"The ferry company said on Monday that boats to the {word} harbour would run "
        "again after repairs to the pier in Dar es Salaam.",
        "source": "newsroom-test",
    }
    produce(settings.kafka, settings.topic, [json.dumps(article).encode()])
    assert run_bounded(settings, model_paths).indexed == 1
    live = page.locator(f'#hits > li.live[data-doc-id="ui-live-{word}"]')
    live.wait_for(timeout=30_000)
    assert word in live.inner_text()
    assert "1 new article" in page.locator("#live-status").inner_text()
    assert not page.errors


def test_a_script_title_is_shown_as_text_and_never_runs(ui: Ui, page: Any) -> None:
    page.goto(ui.url + "/?q=researchers")
    hit = page.locator('#hits > li[data-doc-id="ui-script-title"] h3 a')
    assert hit.inner_text() == SCRIPT_TITLE
    page.goto(ui.url + "/article/ui-script-title")
    assert page.locator("#article-title").inner_text() == SCRIPT_TITLE
    assert "<img src=x onerror=alert(2)>" in page.locator("#article-body").inner_text()
    inline_scripts = page.evaluate(
        "() => [...document.scripts].filter(s => !s.src && s.type !== 'application/json').length"
    )
    assert inline_scripts == 0
    assert page.locator("#article-body img").count() == 0
    assert page.dialogs == [] and not page.errors


def test_a_broken_query_gets_a_message(ui: Ui, page: Any) -> None:
    page.goto(ui.url + "/")
    page.fill("#q", '"central bank')
    with page.expect_navigation() as navigation:
        page.press("#q", "Enter")
    assert navigation.value.status == 400
    message = page.locator("#q-error").inner_text()
    assert "quotation mark at character 1 is never closed" in message
    assert page.locator("#q").input_value() == '"central bank'
    page.goto(ui.url + "/?q=" + urllib.request.quote("(nato OR"))
    assert "OR at character 7 needs a word" in page.locator("#q-error").inner_text()


def test_network_and_export(ui: Ui, page: Any, indexed: Any) -> None:
    settings, client = indexed
    page.goto(ui.url + "/network")
    page.wait_for_selector("#graph[data-nodes]")
    assert int(page.get_attribute("#graph", "data-nodes")) >= 3
    assert page.locator("#graph-list a").count() >= 3
    with urllib.request.urlopen(ui.url + "/export.csv") as response:
        rows = list(csv.reader(io.StringIO(response.read().decode())))
    assert rows[0][:3] == ["doc_id", "published_at", "title"]
    assert len(rows) == 1 + client.count(index=settings.index)["count"]
    assert {"orban-putin-beijing", "ui-script-title"} <= {row[0] for row in rows}
    with urllib.request.urlopen(ui.url + "/export.jsonl?limit=2&q=Putin") as response:
        lines = response.read().decode().splitlines()
    assert len(lines) == 1 and "Vladimir Putin" in json.loads(lines[0])["persons"]


def test_access_control_beyond_loopback(indexed: Any, tmp_path: Path) -> None:
    settings, _client = indexed
    refused = subprocess.run(
        [sys.executable, "-m", "pipeline.cli", "ui", "--host", "0.0.0.0", "--port", "0"],
        env={**os.environ, **settings.to_env()},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert refused.returncode == 1
    assert "refusing to listen on 0.0.0.0 without access control" in refused.stderr
    server = start_ui(settings, tmp_path / "ui.log", env={"NEWSWIRE_UI_TOKEN": "t0ken"})
    try:
        with pytest.raises(urllib.error.HTTPError) as denied:
            urllib.request.urlopen(server.url + "/?q=Putin")
        assert denied.value.code == 401
        request = urllib.request.Request(
            server.url + "/?q=Putin", headers={"Authorization": "Bearer t0ken"}
        )
        with urllib.request.urlopen(request) as response:
            assert "Vladimir Putin" in response.read().decode()
    finally:
        stop(server)


def test_search_after_pages_through_every_article_once(indexed: Any) -> None:
    """The page's paging request on the real server, two articles a page: each article once,
    in the sort order, for both sorts (the same code pages past 10,000 hits)."""
    from newsroom import queries as q

    settings, client = indexed
    total = client.count(index=settings.index)["count"]
    for sort in q.SORTS:
        state = q.SearchState(sort=sort)
        seen: list[str] = []
        while True:
            body = q.search_request(state, "month", size=2)
            hits = client.search(index=settings.index, **body)["hits"]["hits"]
            seen.extend(h["_id"] for h in hits)
            cursor = q.next_cursor(hits, 2)
            if cursor is None:
                break
            state = q.next_page(state, cursor, len(hits))
        assert len(seen) == len(set(seen)) == total


def test_keyboard_and_phone_width(ui: Ui, browser: Any) -> None:
    context = browser.new_context(viewport={"width": 390, "height": 844})
    try:
        tab = context.new_page()
        for path in ("/", "/article/orban-putin-beijing", "/entity?type=PER&name=Vladimir+Putin"):
            tab.goto(ui.url + path)
            wider = tab.evaluate(
                """() => [...document.querySelectorAll('body *')]
                     .filter(e => e.getBoundingClientRect().right > 390)
                     .map(e => e.tagName + '.' + e.className + ': ' + e.textContent.slice(0, 40))"""
            )
            assert tab.evaluate("() => document.documentElement.scrollWidth") <= 390, (path, wider)
        tab.goto(ui.url + "/")
        tab.keyboard.press("Tab")
        assert tab.evaluate("() => document.activeElement.textContent") == "Skip to content"
        tab.keyboard.press("/")
        assert tab.evaluate("() => document.activeElement.id") == "q"
        unlabelled = tab.evaluate(
            """() => [...document.querySelectorAll('input:not([type=hidden]), select')]
                 .filter(e => !e.labels || e.labels.length === 0).length"""
        )
        assert unlabelled == 0
    finally:
        context.close()
