from pathlib import Path

import pytest

from summarize.llm.prompts import (
    PromptError,
    diff_prompts,
    list_prompts,
    load_prompt,
    parse_ref,
    strict_schema,
)
from summarize.models import TldrAnswer


def test_every_shipped_prompt_loads_and_places_the_article_last():
    prompts = list_prompts()
    assert {"tldr@v1", "tldr@v2", "story@v1", "reduce@v1"} <= {p.ref for p in prompts}
    for p in prompts:
        messages = p.messages(article="ARTICLE-TEXT", language="German", title="T")
        assert messages[-1]["role"] == "user"
        assert messages[-1]["content"].rstrip().endswith("ARTICLE-TEXT\n</article>")
        assert all("ARTICLE-TEXT" not in m["content"] for m in messages[:-1])
        assert len(p.content_hash) == 16


def test_file_name_matches_declared_version():
    for p in list_prompts():
        assert Path(p.path).stem == p.version and Path(p.path).parent.name == p.name


def test_strict_schema_requires_every_property_and_forbids_extras():
    schema = strict_schema(TldrAnswer)
    assert schema["required"] == ["tldr", "entities"] and schema["additionalProperties"] is False
    item = schema["properties"]["entities"]["items"]
    assert item["additionalProperties"] is False and item["required"] == ["name", "type"]
    assert item["properties"]["type"]["enum"] == ["PER", "ORG", "LOC"]


def test_bad_references_give_one_line_errors():
    with pytest.raises(PromptError, match="NAME@VERSION"):
        parse_ref("tldr")
    with pytest.raises(PromptError, match="not found"):
        load_prompt("tldr@v99")


def test_diff_shows_the_change_between_versions():
    diff = diff_prompts(load_prompt("tldr@v1"), load_prompt("tldr@v2"))
    assert diff.startswith("--- tldr@v1\n+++ tldr@v2")
    assert '+version = "v2"' in diff


def test_limits_bound_the_schema_and_are_stripped_only_for_openai():
    from summarize.llm.backend import without_length_bounds

    schema = load_prompt("tldr@v3").json_schema()
    assert schema["properties"]["tldr"]["maxLength"] == 300
    assert schema["properties"]["key_facts"]["maxItems"] == 4
    assert schema["properties"]["key_facts"]["items"]["maxLength"] == 80
    stripped = without_length_bounds(schema)
    assert "maxLength" not in str(stripped) and stripped["properties"]["key_facts"]["maxItems"] == 4


def test_a_limit_on_a_missing_field_is_an_error(tmp_path):
    (tmp_path / "tldr").mkdir()
    (tmp_path / "tldr" / "v1.toml").write_text(
        'name = "tldr"\nversion = "v1"\nsystem = "s"\nuser = "u"\n[limits]\nheadline = { max_chars = 10 }\n')
    with pytest.raises(PromptError, match="headline"):
        load_prompt("tldr@v1", tmp_path).json_schema()
