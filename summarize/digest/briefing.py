"""A day's pile of articles → one briefing of cross-outlet stories.

clean → tldr (through the cache) → drop near duplicates, keeping every outlet
as a source → cluster by event → one merge call per multi-article story →
order by importance. Every input ends up either in a story or under "not
summarized" with its reason.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import date
from typing import TYPE_CHECKING, Callable, Sequence

from summarize.clean.cleaner import clean_each, drained
from summarize.clean.metadata import derive_title
from summarize.digest.headlines import best_headline, is_headline_like
from summarize.digest.language import (
    briefing_language,
    counts_in_every,
    differing_figures,
    in_language,
)
from summarize.digest.picked import numbered_reports, picked_story
from summarize.digest.settings import DigestSettings
from summarize.digest.shelf import Lazy, Shelf
from summarize.digest.stored import as_rerun, briefing_key, is_reusable
from summarize.ground.answer import check_tldr, merge_entities
from summarize.ground.repair import repair_tldr
from summarize.inflight import bounded_map, call_threads
from summarize.ingest.inputs import read_inputs
from summarize.llm.backend import LLMError
from summarize.llm.calls import AnswerError, StructuredCaller
from summarize.llm.prompts import Prompt
from summarize.llm.turns import in_turns
from summarize.models import (
    ArticleSummary,
    Briefing,
    CleanedArticle,
    Failure,
    Story,
    StorySource,
    Usage,
)
from summarize.store import Store, stable_hash
from summarize.tldr.stage import (
    grounded_content_check,
    language_name,
    summarize_all,
)

if TYPE_CHECKING:
    from summarize.digest.cluster import ClusterItem

@dataclass
class Member:
    """One summarized article inside a story, with the text it was grounded on."""

    article: CleanedArticle
    summary: ArticleSummary


def of_day(article: CleanedArticle, day: date | None) -> bool:
    """Whether the digest of `day` takes the article: one of that day, an
    undated one (it may well be from that day), or a failed input, which is
    always kept so that it is reported."""
    return day is None or not article.ok or article.published in (None, day.isoformat())


def run_digest(paths: Sequence[str], caller: StructuredCaller, settings: DigestSettings, *,
               max_bytes: int = 5_000_000, today: date | None = None,
               on_article: Callable[..., None] | None = None, briefings: Store | None = None) -> Briefing:
    """The briefing of `paths`; with `briefings`, an unchanged re-run returns
    the stored one without cleaning or grounding anything again."""
    # Read once: the bytes both key the stored briefing and are cleaned.
    inputs = read_inputs(list(paths), max_bytes=max_bytes)
    key = briefing_key(inputs, settings, caller.backend.model, max_bytes=max_bytes, today=today) if briefings else None
    if key is not None and (stored := briefings.get_briefing(key)) is not None:
        return as_rerun(Briefing.model_validate_json(stored))
    # Each page's bytes are let go once decoded, and each cleaned article is
    # shelved compressed (shelf.py): memory grows with the packed articles.
    cleaned, ignored = Shelf(CleanedArticle), 0
    for article in clean_each(drained(inputs), today=today):
        if of_day(article, settings.day):
            cleaned.append(article)
        else:
            ignored += 1
    language = briefing_language(cleaned, settings.tldr.language)
    # A version that writes writes every TLDR in the briefing's language; an
    # extract stays in its article's, and its story is translated if need be.
    tldr = replace(settings.tldr, language=None if settings.extractive else language)
    # A --batch run (llm/batch.py) repeats each stage until the Batch API
    # jobs it waits for have answered: the TLDRs, then the story merges.
    batch = getattr(caller, "batch", None)
    settle = batch.settle if batch is not None else _at_once
    summaries = settle(lambda: summarize_all(cleaned, caller, tldr, concurrency=settings.concurrency,
                                             on_done=on_article, into=Shelf(ArticleSummary)))
    briefing = settle(lambda: build_briefing(cleaned, summaries, caller, settings, language=language))
    briefing.ignored = ignored
    if key is not None and is_reusable(briefing, cleaned):
        briefings.put_briefing(key, briefing.json_parts())
    return briefing


def _at_once(stage):
    """A live run's stage: once."""
    return stage()


def build_briefing(cleaned: Sequence[CleanedArticle], summaries: Sequence[ArticleSummary],
                   caller: StructuredCaller, settings: DigestSettings, *, language: str | None = None) -> Briefing:
    """The stories of the summarized articles; `cleaned` and `summaries` are
    read one article at a time (they may be shelves)."""
    usage = Usage()
    failures: list[Failure] = []
    summarized: list[int] = []  # positions of the articles with an answer
    dates: list[str] = []
    for i, summary in enumerate(summaries):
        usage = usage.add(summary.usage)
        if not summary.ok:
            failures.append(Failure(path=summary.path, error=summary.error or "failed"))
            continue
        summarized.append(i)
        if summary.published:
            dates.append(summary.published)
    members = Lazy(len(summarized), lambda k: Member(cleaned[summarized[k]], summaries[summarized[k]]))

    prompts = [settings.tldr.prompt.ref]
    groups = group_indices(members, settings.window_days)
    story_usages = [Usage() for _ in groups]

    language = language or briefing_language(cleaned, settings.tldr.language)

    def story_of(i: int, caller: StructuredCaller = caller) -> Story:
        return make_story([members[k] for k in groups[i]], caller, settings.story_prompt, language, story_usages[i],
                          extractive=settings.extractive, translate=settings.translate_prompt)

    # The merge calls are independent of each other: like the TLDR calls, up
    # to `concurrency` run at once (one after the other on a one-slot server).
    workers = max(1, min(settings.concurrency, caller.backend.slots, len(groups)))
    # Each story is shelved as it is made (a story's model weighs about 7 KB,
    # packed 0.7 KB), and the shelf is put in order at the end.
    stories, importance = Shelf(Story), []
    threads, in_flight = call_threads(caller.backend, workers)
    with in_flight, ThreadPoolExecutor(max_workers=threads) as pool:
        made = bounded_map(pool, in_turns(story_of, caller), len(groups), ahead=2 * threads)
        for story, story_usage in zip(made, story_usages):
            usage = usage.add(story_usage)
            if story_usage.calls or story_usage.cached:
                translated = settings.extractive and settings.translate_prompt is not None \
                    and any(s.translated for s in story.sources)
                prompts.append(settings.translate_prompt.ref if translated else settings.story_prompt.ref)
            importance.append(story_importance(story))
            stories.append(story)
    briefing = Briefing(
        date=settings.day.isoformat() if settings.day else (max(dates) if dates else None),
        not_summarized=failures,
        usage=usage,
        prompts=sorted(set(prompts)),
        model=caller.backend.model,
        language=language,
    )
    # Set, not validated: validation would unpack the shelf into a list.
    briefing.stories = stories.reordered(sorted(range(len(importance)), key=importance.__getitem__))
    return briefing


def cluster_item(member: Member) -> ClusterItem:
    from summarize.digest.cluster import (
        ClusterItem,  # scipy is imported only when clustering runs
    )

    return ClusterItem(key=member.article.path, published=member.article.published,
                       title=member.article.title or "", text=member.article.full_text(),
                       language=member.article.language,
                       entities=[e.name for e in member.summary.entities],
                       entity_types={e.name: e.type for e in member.summary.entities})


def group_members(members: Sequence[Member], window_days: int) -> list[list[Member]]:
    """Stories as lists of members."""
    return [[members[i] for i in story] for story in group_indices(members, window_days)]


def group_indices(members: Sequence[Member], window_days: int) -> list[list[int]]:
    """Stories as lists of positions in `members`; near-duplicate copies ride
    along with the article they copy instead of weighing on the clustering
    twice. Each member is read anew where clustering needs it, not held."""
    from summarize.digest.cluster import cluster_stories
    from summarize.digest.duplicates import find_duplicates

    items = Lazy(len(members), lambda i: cluster_item(members[i]))
    copies_of: dict[int, list[int]] = {}
    copied: set[int] = set()
    for group in find_duplicates(items):
        head, *rest = group
        copies_of[head] = rest
        copied.update(rest)
    heads = [i for i in range(len(members)) if i not in copied]
    stories = cluster_stories(Lazy(len(heads), lambda k: items[heads[k]]), window_days=window_days)
    return [[j for i in story for j in (heads[i], *copies_of.get(heads[i], []))] for story in stories]


def story_id(group: list[Member]) -> str:
    return "s-" + stable_hash(sorted(m.article.path for m in group))[:10]


def source_of(member: Member, translated: bool = False) -> StorySource:
    return StorySource(path=member.article.path, source=member.article.source, title=member.article.title,
                       published=member.article.published, url=member.article.url,
                       language=member.article.language, translated=translated)


def reports_for_merge(group: list[Member]) -> str:
    """The per-article answers the merge call works from, one block per outlet."""
    blocks = []
    for i, member in enumerate(group, 1):
        s = member.summary
        facts = "".join(f"\n- {fact}" for fact in s.key_facts)
        blocks.append(f"Report {i} — outlet: {s.source or 'unknown outlet'}, date: {s.published or 'undated'}\n"
                      f"Title: {s.title or ''}\nSummary: {s.tldr}{facts}")
    return "\n\n".join(blocks)


def first_headline(group: list[Member], newest: Member) -> str:
    """The story's headline when no real headline and no merge call gives
    one: the newest report's title, another report's when that page showed
    none, unless it is a caption, teaser or byline; else the opening of the TLDR."""
    for member in [newest, *group]:
        if is_headline_like(member.summary.title):
            return member.summary.title
    return derive_title(newest.summary.tldr or "") or newest.article.path


def make_story(group: list[Member], caller: StructuredCaller, prompt: Prompt, language: str | None,
               usage: Usage, *, extractive: bool = False, translate: Prompt | None = None) -> Story:
    """One story in `language` (the newest report's when None). Its text comes
    from the reports in that language: for a version that writes, every
    report, whose TLDR was written in it; for an extract, the reports that are
    in it, else one report's sentences translated (`translate`)."""
    newest = max(group, key=lambda m: m.article.published or "")
    lang = language or newest.article.language or "de"
    same = [m for m in group if in_language(m.article, lang)]
    writers = group if not extractive else same or [newest]
    lead = max(writers, key=lambda m: m.article.published or "")
    foreign = extractive and not same
    story = Story(
        id=story_id(group), headline=first_headline(writers, lead), tldr=lead.summary.tldr or "",
        entities=merge_entities([m.summary.entities for m in group]),
        sources=[source_of(m, translated=m in writers and not in_language(m.article, lang)) for m in group],
        flags=list(lead.summary.flags), ungrounded=sorted({name for m in group for name in m.summary.ungrounded}),
        language=lang,
    )
    source_text = sources_text(group)
    real = best_headline([m.article for m in same], story.entities, lang)
    if foreign:
        return _translated(story, lead, caller, translate, lang, source_text, usage)
    if len({m.summary.tldr for m in writers}) == 1:
        story.headline = real or story.headline
        return story  # one article, or identical copies of it
    if prompt.schema_name == "story_pick":
        return _picked(story, writers, caller, prompt, usage, real)
    variables = {"article": reports_for_merge(writers), "language": language_name(lang)}
    if prompt.uses("figures"):
        variables["figures"] = differing_figures(
            [(m.summary.source or "", _merge_view(m), m.article.full_text()) for m in writers]) or "none"
    try:
        answer = caller.ask(prompt, variables, usage, grounded_content_check(source_text))
    except (AnswerError, LLMError) as exc:
        story.flags.append("merge_failed")
        story.tldr = f"{story.tldr} (merged summary unavailable: {exc})"
        return story
    outlets = [m.summary.source for m in group if m.summary.source]
    story.headline = real or without_outlet_prefix(answer.headline, outlets) or story.headline
    repaired = repair_tldr(without_outlet_prefix(answer.tldr, outlets), source_text)
    story.tldr, story.dropped_sentences = repaired.text, repaired.dropped
    story.flags = check_tldr(story.tldr, source_text, max_words=prompt.max_words).flags
    return story


def _picked(story: Story, writers: list[Member], caller: StructuredCaller, prompt: Prompt, usage: Usage,
            headline: str | None) -> Story:
    """The story told with the sentences the model picks from the reports' TLDRs."""
    ordered = sorted(writers, key=lambda m: m.article.published or "", reverse=True)
    shown, sentences = numbered_reports([(m.summary.source or "", m.summary.tldr or "") for m in ordered])
    story.headline = headline or story.headline
    try:
        answer = caller.ask(prompt, {"article": shown}, usage,
                            choices={"sentences": [s.number for s in sentences]})
    except (AnswerError, LLMError) as exc:
        story.flags.append("merge_failed")
        story.tldr = f"{story.tldr} (merged summary unavailable: {exc})"
        return story
    everywhere = counts_in_every(m.article.full_text() for m in writers)
    story.tldr = picked_story(answer.sentences, sentences, prompt.max_words, everywhere) or story.tldr
    story.flags = [f for f in check_tldr(story.tldr, sources_text(writers), max_words=prompt.max_words).flags
                   if f != "copied"]
    return story


def sources_text(group: Sequence[Member]) -> str:
    """What a story's names and numbers must come from: its reports, and the
    names of their outlets, which a story may cite ("laut zeit.de")."""
    outlets = sorted({m.summary.source for m in group if m.summary.source})
    return "\n\n".join([", ".join(outlets)] * bool(outlets) + [m.article.full_text() for m in group])


def _merge_view(member: Member) -> str:
    return " ".join([member.summary.tldr or "", *member.summary.key_facts])


def _translated(story: Story, lead: Member, caller: StructuredCaller, translate: Prompt | None, language: str,
                source_text: str, usage: Usage) -> Story:
    """The story with the lead report's headline and chosen sentences in
    `language`; untranslated and flagged when that fails."""
    if translate is None:
        story.flags.append("not_translated")
        return story
    headline = lead.article.title if is_headline_like(lead.article.title) else story.headline
    text = f"Headline: {headline}\nSummary: {lead.summary.tldr or ''}"
    # No content check: a translation shares only names and numbers with its
    # source, and what it translates is the article's own checked sentences.
    try:
        answer = caller.ask(translate, {"article": text, "language": language_name(language)}, usage)
    except (AnswerError, LLMError):
        story.flags.append("not_translated")
        return story
    for source in story.sources:
        source.translated = source.path == lead.article.path
    repaired = repair_tldr(answer.tldr, source_text)
    story.headline = answer.headline.strip() or story.headline
    story.tldr, story.dropped_sentences = repaired.text, repaired.dropped
    story.flags = [f for f in check_tldr(story.tldr, source_text, max_words=translate.max_words).flags
                   if f != "copied"]
    return story


def without_outlet_prefix(text: str, outlets: list[str]) -> str:
    """`text` without a leading "Outlet:", the shape of the reports the merge
    call reads, which a small model copies into its headline."""
    text = text.strip()
    for outlet in outlets:
        if text.lower().startswith(outlet.lower()) and text[len(outlet):].lstrip().startswith(":"):
            rest = text[len(outlet):].lstrip()[1:].strip()
            return rest[:1].upper() + rest[1:]
    return text


def story_importance(story: Story) -> tuple:
    """The key that orders stories: most outlets first, then the most recent,
    then the most articles."""
    outlets = {s.source or s.path for s in story.sources}
    dates = [date.fromisoformat(s.published) for s in story.sources if s.published]
    recency = -max(dates).toordinal() if dates else 0  # undated after dated
    return (-len(outlets), recency, -len(story.sources), story.headline)

