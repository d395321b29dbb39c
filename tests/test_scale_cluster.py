"""Clustering a large pile in blocks gives exactly the stories and copies of
comparing every pair at once, in memory that grows with the pile, not with
its square. (The 10,000-article run is `benchmarks/run.py --only scale`.)"""

from __future__ import annotations

import random
import sys
import tracemalloc
from datetime import date, timedelta
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))

from corpus import _body_paragraphs, _entity_words, _Variant, gold_records, seed_paths  # noqa: E402
from fake_openai import capitalised_entities  # noqa: E402
from test_cluster import (  # noqa: E402
    AGENCY_ON_SITE_A,
    FOOTBALL,
    QUAKE_REUTERS,
    STRIKE_DAY1_A,
    STRIKE_DAY1_B,
    STRIKE_SETTLED_LATER,
    STRIKE_UNDATED,
)

from summarize.digest import cluster  # noqa: E402
from summarize.digest.cluster import ClusterItem, cluster_stories, entity_mentions  # noqa: E402
from summarize.digest.duplicates import find_duplicates  # noqa: E402
from summarize.text.normalize import content_words  # noqa: E402


def pile(count: int, seed: int = 3) -> list[ClusterItem]:
    """`count` reports made from the seeds' bodies: other names and numbers,
    paragraphs reordered, over five days; every 13th undated."""
    records = [gold_records()[p.name] for p in seed_paths()]
    words = _entity_words(records)
    rng = random.Random(seed)
    items = []
    for i in range(count):
        record = records[i % len(records)]
        variant = _Variant(random.Random(rng.getrandbits(64)), words, 0)
        paragraphs = _body_paragraphs(record)
        rng.shuffle(paragraphs)
        text = variant.apply("\n\n".join(paragraphs[:4]))
        title = variant.apply(record.get("title") or "")
        names = [e["name"] for e in capitalised_entities(text)]
        # Every seventh item in another language, whose pairs are judged on names alone.
        items.append(ClusterItem(key=f"a{i}", title=title, text=text, entities=names,
                                 language="en" if i % 7 == 0 else "de",
                                 entity_types={n: "LOC" if len(n.split()) > 2 else "PER" for n in names},
                                 published=None if i % 13 == 0 else date(2026, 1, 1) + timedelta(days=i % 5)))
    return items


@pytest.fixture(scope="module")
def items() -> list[ClusterItem]:
    return pile(240)


@pytest.fixture(autouse=True)
def small_blocks(monkeypatch):
    """Every pile in blocks of a few rows: many block edges, dates and undated rows among them."""
    monkeypatch.setattr(cluster, "DENSE_LIMIT", 0)
    monkeypatch.setattr(cluster, "BLOCK_ENTRIES", 2000)


def dense(fn, *args, **kwargs):
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(cluster, "DENSE_LIMIT", 10**9)
        return fn(*args, **kwargs)


@pytest.mark.parametrize("window", [0, 1])
def test_blocked_stories_equal_all_pairs(items, window):
    blocked = cluster_stories(items, window_days=window)
    assert blocked == dense(cluster_stories, items, window_days=window)
    assert any(len(story) > 1 for story in blocked) and len(blocked) < len(items)


def test_blocked_copies_equal_all_pairs(items):
    rng = random.Random(5)
    copies = []
    for k in range(20):
        words = items[rng.randrange(len(items))].text.split()
        words[rng.randrange(len(words))] = "Wortwechsel"
        copies.append(ClusterItem(key=f"copy{k}", text=" ".join(words)))
    everything = items + copies
    blocked = find_duplicates(everything)
    assert blocked == dense(find_duplicates, everything)
    assert len(blocked) >= 15


def test_the_cluster_cases_come_out_the_same_in_blocks():
    cases = [
        ([STRIKE_DAY1_A, STRIKE_DAY1_B, STRIKE_SETTLED_LATER], 1),
        ([STRIKE_SETTLED_LATER, STRIKE_DAY1_A, QUAKE_REUTERS, STRIKE_UNDATED, STRIKE_DAY1_B], 1),
        ([STRIKE_DAY1_A, FOOTBALL.model_copy(update={"published": None}), QUAKE_REUTERS, STRIKE_DAY1_B], 1),
        ([STRIKE_DAY1_A, QUAKE_REUTERS, FOOTBALL, AGENCY_ON_SITE_A], 30),
    ]
    expected = [dense(cluster_stories, case, window_days=window) for case, window in cases]
    assert [cluster_stories(case, window_days=window) for case, window in cases] == expected


STORY_VECTORS = cluster.story_vectors


def pair_phase_peak(items: list[ClusterItem], monkeypatch) -> int:
    """Peak bytes allocated by clustering once every article's vectors are made."""
    vectors = STORY_VECTORS(items)
    monkeypatch.setattr(cluster, "story_vectors", lambda _: vectors)
    tracemalloc.start()
    try:
        cluster_stories(items)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_memory_grows_with_the_pile_not_its_square(monkeypatch):
    monkeypatch.setattr(cluster, "BLOCK_ENTRIES", 1 << 14)
    small, large = pair_phase_peak(pile(150), monkeypatch), pair_phase_peak(pile(600), monkeypatch)
    # Four times the articles: four times the memory when it grows with n,
    # sixteen with n² (one 600 × 600 matrix alone is 2.9 MB).
    assert large / small < 7, (small, large)
    assert large < 600 * 600 * 8


def first_stem_mentions(items: list[ClusterItem]) -> list[dict[str, float]]:
    """entity_mentions as it looked names up before: by their first word."""
    spellings, weight = {}, {}
    for item in items:
        for name in item.entities:
            stems = {tuple(content_words(v)) for v in cluster.alias_variants(name)} - {()}
            if stems:
                key = cluster.entity_key(name)
                spellings.setdefault(key, set()).update(stems)
                weight.setdefault(key, cluster.TYPE_WEIGHTS.get(item.entity_types.get(name, ""), 1.0))
    mentions = []
    for item in items:
        lead, whole = set(content_words(cluster._lead(item))), set(content_words(cluster._full(item)))
        found = {}
        for key, variants in spellings.items():
            for variant in variants:
                if all(p in lead for p in variant):
                    found[key] = cluster.LEAD_MENTION * weight[key]
                elif key not in found and all(p in whole for p in variant):
                    found[key] = cluster.BODY_MENTION * weight[key]
        for key in map(cluster.entity_key, item.entities):
            found.setdefault(key, cluster.BODY_MENTION * weight.get(key, 1.0))
        mentions.append(found)
    return mentions


def test_rarest_stem_lookup_finds_every_mention():
    sample = pile(60) + [STRIKE_DAY1_A, STRIKE_DAY1_B, STRIKE_UNDATED, QUAKE_REUTERS, AGENCY_ON_SITE_A]
    assert entity_mentions(sample) == first_stem_mentions(sample)
