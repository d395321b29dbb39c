"""Prompt versions that choose: entities and sentences as enums of the
request's schema, the extract the tool assembles, and one language per
briefing with the sources it translated."""

import json
import os
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest
from fake_openai import FakeOpenAI, article_text, last_user_message, story_answer
from test_embedded import smollm2_path

from summarize.digest.briefing import Member, build_briefing, make_story
from summarize.digest.headlines import best_headline, is_headline_like
from summarize.digest.language import (
    briefing_language,
    counts_in_every,
    differing_figures,
)
from summarize.digest.picked import numbered_reports, picked_story
from summarize.digest.settings import DigestSettings
from summarize.llm import embedded
from summarize.llm.backend import OpenAIChat, RetryPolicy
from summarize.llm.calls import AnswerError, StructuredCaller
from summarize.llm.prompts import PromptError, load_prompt
from summarize.models import ArticleSummary, CleanedArticle, Entity, Usage
from summarize.store import Store
from summarize.tldr.extract import assemble, numbered_sentences, trim_sentence
from summarize.tldr.stage import TldrSettings, summarize_article

ROOT = Path(__file__).resolve().parent.parent

ARTICLE = ("Gespräche in Kiew\n\n"
           "KIEW (dpa) - Die Sicherheitsberater der Verbündeten haben am Samstag in Kiew über Garantien beraten. "
           "Chefunterhändler Rustem Umjerow sagte Medien, es seien 15 Staaten vertreten gewesen. "
           "„Wir kommen voran“, sagte er. "
           "Er will die Ergebnisse am Montag in Paris vorstellen. "
           "Die USA waren per Video zugeschaltet (aus Washington), teilte das Präsidialamt mit.")


def _schema(request: dict) -> dict:
    return request["response_format"]["json_schema"]["schema"]


def choosing_answer(request: dict) -> str:
    """Picks from the enums like a grammar-bound model: every listed name, typed
    by a crude rule, and the first two sentences that may be chosen."""
    properties = _schema(request)["properties"]
    if "headline" in properties:
        return story_answer(request)
    if properties["entities"]["type"] == "object":  # labels keyed by the found names
        names = properties["entities"]["required"]
        kinds = names and "person" in properties["entities"]["properties"][names[0]]["enum"]
        person, place, other = ("person", "place", "common word") if kinds else ("PER", "LOC", "other")
        labels = {n: other if n == "Washington" else person if " " in n else place for n in names}
        return json.dumps({"entities": labels, "sentences": properties["sentences"]["items"]["enum"][:2]},
                          ensure_ascii=False)
    names = properties["entities"]["items"]["properties"]["name"].get("enum", [])
    answer = {"entities": [{"name": n, "type": "PER" if " " in n else "LOC"} for n in names]}
    if "sentences" in properties:
        answer["sentences"] = properties["sentences"]["items"]["enum"][:2]
    else:
        answer["key_facts"] = ["Beratung in Kiew"]
        answer["tldr"] = "In Kiew berieten Sicherheitsberater aus 15 Staaten über Garantien."
    return json.dumps(answer, ensure_ascii=False)


def outside_answer(request: dict) -> str:
    return json.dumps({"entities": [{"name": "Olaf Merz", "type": "PER"}], "sentences": [1]})


def fake_caller(fake, store=None) -> StructuredCaller:
    backend = OpenAIChat(base_url=fake.base_url, api_key="sk-test", model="fake-model", name="openai",
                         context_size=8192, policy=RetryPolicy(attempts=2, timeout=5, backoff_base=0.01))
    return StructuredCaller(backend, store)


def article(text=ARTICLE, language="de", path="a.txt", source="Zeitung", published="2026-01-03") -> CleanedArticle:
    title, _, body = text.partition("\n\n")
    return CleanedArticle(path=path, title=title, title_is_headline=True, text=body, language=language,
                          source=source, published=published)


# --- the schema -------------------------------------------------------------------


def test_choices_become_enums_and_an_empty_choice_an_empty_list():
    prompt = load_prompt("tldr@v9")
    schema = prompt.json_schema({"entities.name": ["Rustem Umjerow", "Kiew"], "sentences": [1, 3]})
    fields = schema["properties"]
    assert fields["entities"]["items"]["properties"]["name"] == {"type": "string", "enum": ["Rustem Umjerow", "Kiew"]}
    assert fields["entities"]["maxItems"] == 20
    assert fields["sentences"]["items"] == {"type": "integer", "enum": [1, 3]}
    assert fields["sentences"]["minItems"] == 1 and fields["sentences"]["maxItems"] == 3
    assert prompt.json_schema({"entities.name": [], "sentences": [1]})["properties"]["entities"]["maxItems"] == 0
    assert "enum" not in prompt.json_schema()["properties"]["entities"]["items"]["properties"]["name"], \
        "the cached schema is untouched"
    with pytest.raises(PromptError):
        prompt.json_schema({"tldr": ["x"]})


def test_a_name_outside_the_list_is_rejected_and_the_list_keys_the_cache(tmp_path):
    prompt = load_prompt("tldr@v9")
    variables = {"article": "[1] Rustem Umjerow war in Kiew.", "names": "Rustem Umjerow\nKiew", "language": "German",
                 "title": ""}
    choices = {"entities.name": ["Rustem Umjerow", "Kiew"], "sentences": [1]}
    with FakeOpenAI(answer=outside_answer) as fake:
        with pytest.raises(AnswerError, match="'Olaf Merz' is not one of the listed values"):
            fake_caller(fake).ask(prompt, variables, Usage(), choices=choices)
        assert fake.calls == 2
        entity = fake.requests[0]["response_format"]["json_schema"]["schema"]["properties"]["entities"]["items"]
        assert entity["properties"]["name"]["enum"] == ["Rustem Umjerow", "Kiew"]
    store = Store(tmp_path / "state.sqlite3")
    try:
        with FakeOpenAI(answer=choosing_answer) as fake:
            caller = fake_caller(fake, store)
            caller.ask(prompt, variables, Usage(), choices=choices)
            caller.ask(prompt, variables, Usage(), choices=choices)
            assert fake.calls == 1
            caller.ask(prompt, variables, Usage(), choices={**choices, "entities.name": ["Kiew"]})
            assert fake.calls == 2, "another list of names is another request"
    finally:
        store.close()


def test_labels_are_a_mapping_whose_keys_are_the_found_names():
    prompt = load_prompt("tldr@v10")
    schema = prompt.json_schema({"entities": ["Rustem Umjerow", "Kiew"], "sentences": [1, 3]})
    entities = schema["properties"]["entities"]
    assert entities["required"] == ["Rustem Umjerow", "Kiew"] and entities["additionalProperties"] is False
    assert entities["properties"]["Kiew"] == {"enum": ["PER", "ORG", "LOC", "other"], "type": "string"}
    assert prompt.json_schema({"entities": [], "sentences": [1]})["properties"]["entities"]["required"] == []
    variables = {"article": "[1] Rustem Umjerow war in Kiew."}
    with FakeOpenAI(answer=lambda r: json.dumps({"entities": {"Olaf Merz": "PER"}, "sentences": [1]})) as fake:
        with pytest.raises(AnswerError, match="'Olaf Merz' is not one of the listed values"):
            fake_caller(fake).ask(prompt, variables, Usage(), choices={"entities": ["Kiew"], "sentences": [1]})


def test_a_grammar_bound_model_labels_every_found_name_in_order():
    from summarize.llm.backend import ChatRequest

    backend = embedded.EmbeddedLlama(model_path=smollm2_path(), slot_context=2048)
    prompt = load_prompt("tldr@v10")
    names = ["Anna Weber", "Berlin", "Olaf Merz"]
    schema = prompt.json_schema({"entities": names, "sentences": [1]})
    messages = prompt.messages(article="[1] Anna Weber besucht am Montag Olaf Merz in Berlin.")
    try:
        result = backend.complete(ChatRequest(messages=messages, schema_name=prompt.schema_name, schema=schema,
                                              max_tokens=120))
    finally:
        backend.close()
    answer = json.loads(result.content)
    assert list(answer["entities"]) == names, result.content
    assert set(answer["entities"].values()) <= {"PER", "ORG", "LOC", "other"} and set(answer["sentences"]) == {1}


def test_a_grammar_bound_model_cannot_answer_outside_the_list():
    import re

    from summarize.llm.backend import ChatRequest

    backend = embedded.EmbeddedLlama(model_path=smollm2_path(), slot_context=2048)
    prompt = load_prompt("tldr@v9")
    names = ["Anna Weber", "Berlin"]
    schema = prompt.json_schema({"entities.name": names, "sentences": [1]})
    schema["properties"]["entities"]["maxItems"] = 3  # the tiny model would fill all 20
    messages = prompt.messages(article="[1] Anna Weber besucht am Montag Olaf Merz in Berlin.",
                               names="\n".join(names), language="German", title="")
    try:
        result = backend.complete(ChatRequest(messages=messages, schema_name=prompt.schema_name, schema=schema,
                                              max_tokens=120))
    finally:
        backend.close()
    chosen = re.findall(r'"name"\s*:\s*"([^"]*)"', result.content)
    assert chosen and set(chosen) <= set(names), result.content
    assert "Olaf Merz" not in result.content


# --- the extract ------------------------------------------------------------------


def test_the_headline_is_not_numbered_and_quotes_and_pronouns_are_not_offered():
    title, _, _ = ARTICLE.partition("\n\n")
    sentences = numbered_sentences(ARTICLE, title)
    assert sentences[0].text.startswith("KIEW (dpa)") and sentences[0].number == 1
    assert [s.eligible for s in sentences] == [True, True, False, False, True]


def test_assembly_trims_datelines_and_keeps_the_articles_order():
    sentences = numbered_sentences(ARTICLE, "Gespräche in Kiew")
    tldr = assemble([5, 1], sentences, max_words=45)
    assert tldr == ("Die Sicherheitsberater der Verbündeten haben am Samstag in Kiew über Garantien beraten. "
                    "Die USA waren per Video zugeschaltet.")
    # Over the word limit, the model's later picks go first; its first pick stays.
    assert assemble([5, 1, 2], sentences, max_words=15) == "Die USA waren per Video zugeschaltet."


def test_trimming_removes_only_what_can_go():
    assert trim_sentence("BERLIN (dpa) – Die Regierung hat 14 Gesetze beschlossen, sagte ein Sprecher.") \
        == "Die Regierung hat 14 Gesetze beschlossen."
    assert trim_sentence("LONDON, Jan 3 (Reuters) - Britain will raise taxes on energy firms, the ministry said.") \
        == "Britain will raise taxes on energy firms."
    assert trim_sentence("According to the Met Office, winds reached 90 mph on the coast overnight.") \
        == "Winds reached 90 mph on the coast overnight."
    # A subject before a dash without a dateline's marks stays.
    assert trim_sentence("Ukraine - die Gespräche gehen in Miami weiter.") == "Ukraine - die Gespräche gehen in Miami weiter."
    # German puts the verb after a leading attribution: it stays.
    assert trim_sentence("Laut Polizei wurden drei Menschen verletzt.") == "Laut Polizei wurden drei Menschen verletzt."


# --- the stage ----------------------------------------------------------------------


@pytest.mark.parametrize("ref", ["tldr@v8", "tldr@v9", "tldr@v10", "tldr@v11"])
def test_one_call_chooses_entities_and_the_checks_still_run(ref):
    with FakeOpenAI(answer=choosing_answer) as fake:
        summary = summarize_article(article(), fake_caller(fake), TldrSettings.load(ref))
        request = fake.requests[0]
    assert summary.ok and summary.usage.calls == 1
    expected = {"Rustem Umjerow": "PER", "Kiew": "LOC", "Paris": "LOC", "USA": "LOC", "Washington": "LOC"}
    if ref in ("tldr@v10", "tldr@v11"):
        # Every found name is a key to label; the one labelled "other" is no entity.
        assert _schema(request)["properties"]["entities"]["required"] == ["Kiew", "Rustem Umjerow", "Paris", "USA",
                                                                          "Washington"]
        del expected["Washington"]
    else:
        assert "Names found in the article:\nKiew\nRustem Umjerow\nParis" in last_user_message(request)
    assert {e.name: e.type for e in summary.entities} == expected
    if ref in ("tldr@v9", "tldr@v10", "tldr@v11"):
        assert "[2] Chefunterhändler Rustem Umjerow" in article_text(last_user_message(request))
        assert summary.tldr.startswith("Die Sicherheitsberater der Verbündeten haben am Samstag in Kiew")
        assert summary.tldr.endswith("es seien 15 Staaten vertreten gewesen.")
        assert "copied" not in summary.flags, "an extract copies by design"


def test_a_forced_language_translates_an_extract_in_a_second_call():
    with FakeOpenAI(answer=translating_answer) as fake:
        summary = summarize_article(article(), fake_caller(fake), TldrSettings.load("tldr@v9", "en"))
    assert summary.usage.calls == 2 and summary.tldr.startswith("The security advisers of the allies met in Kyiv")


def test_tldr_command_takes_the_new_versions(tmp_path):
    path = tmp_path / "kiew.txt"
    path.write_text(ARTICLE, encoding="utf-8")
    with FakeOpenAI(answer=choosing_answer) as fake:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "SUMMARIZE_"))}
        env.update({"OPENAI_BASE_URL": fake.base_url, "OPENAI_API_KEY": "sk-test"})
        result = subprocess.run([sys.executable, "-m", "summarize", "tldr", "--json", "--prompt", "tldr@v9", "--db",
                                 str(tmp_path / "db"), str(path)], env=env, cwd=ROOT, capture_output=True, text=True,
                                timeout=300)
    assert result.returncode == 0, result.stderr
    row = json.loads(result.stdout)
    assert row["prompt"] == "tldr@v9" and row["usage"]["calls"] == 1 and "Kiew" in row["tldr"]


# --- one language per briefing -----------------------------------------------------------

ENGLISH = ("Storm closes ferry port\n\n"
           "Storm Elin closed the ferry port of Kettleby on Friday, the harbour master said. "
           "About 40,000 homes in Cornwall lost power overnight, Western Grid Networks reported. "
           "Engineers expect to restore supplies by Sunday evening in most areas.")


def translating_answer(request: dict) -> str:
    properties = _schema(request)["properties"]
    if "headline" in properties and "Translate into English" in last_user_message(request):
        return json.dumps({"headline": "Talks in Kyiv", "tldr": "The security advisers of the allies met in "
                                                                  "Kyiv on Saturday to discuss guarantees."})
    return choosing_answer(request)


def summarized(articles, caller, settings):
    # As `run_digest` does: an extract stays in its article's language.
    return [summarize_article(a, caller, replace(settings.tldr, language=None)) for a in articles]


def test_an_extract_story_without_a_source_in_the_briefings_language_is_translated():
    german, english = article(), article(ENGLISH, "en", "b.txt", "Harbour Post")
    assert briefing_language([german, english, article(ENGLISH, "en", "c.txt")], None) == "en"
    assert briefing_language([german, english], "DE") == "de"
    settings = DigestSettings.load(prompt="tldr@v9", language="en")
    with FakeOpenAI(answer=translating_answer) as fake:
        caller = fake_caller(fake)
        summaries = summarized([german, english], caller, settings)
        briefing = build_briefing([german, english], summaries, caller, settings, language="en")
    assert briefing.language == "en" and "translate@v1" in briefing.prompts
    by_path = {s.sources[0].path: s for s in briefing.stories}
    kyiv, storm = by_path["a.txt"], by_path["b.txt"]
    assert kyiv.language == "en" and kyiv.headline == "Talks in Kyiv" and kyiv.tldr.startswith("The security advisers")
    assert [(s.language, s.translated) for s in kyiv.sources] == [("de", True)]
    assert storm.headline == "Storm closes ferry port", "a real headline in the briefing's language"
    assert storm.tldr.startswith("Storm Elin closed the ferry port of Kettleby on Friday.")
    assert [s.translated for s in storm.sources] == [False]


def test_a_story_is_written_from_its_sources_in_the_briefings_language():
    german, english = article(path="a.txt"), article(ENGLISH, "en", "b.txt", "Harbour Post")
    summaries = [ArticleSummary(path=a.path, source=a.source, title=a.title, tldr=t, language=a.language,
                                entities=[Entity(name="Kettleby", type="LOC")])
                 for a, t in ((german, "Ein Sturm schloss den Hafen."),
                              (english, "Storm Elin closed the ferry port of Kettleby."))]
    members = [Member(a, s) for a, s in zip((german, english), summaries)]
    with FakeOpenAI(answer=translating_answer) as fake:
        story = make_story(members, fake_caller(fake), load_prompt("story@v3"), "en", Usage(), extractive=True,
                           translate=load_prompt("translate@v1"))
        assert fake.calls == 0
    assert story.tldr == "Storm Elin closed the ferry port of Kettleby." and story.headline == "Storm closes ferry port"
    assert [s.translated for s in story.sources] == [False, False]


# --- headlines and figures ---------------------------------------------------------------


def test_captions_teasers_bylines_and_disclaimers_never_head_a_story():
    for line in ("Foto: dpa/Michael Kappeler", "Selenskyj in Kiew. Foto: Getty Images", "Von Anna Weber",
                 "Lesen Sie auch: Die Lage in Kiew", "Dieser Artikel wurde automatisch übersetzt",
                 "Alle Entwicklungen im Liveblog …"):
        assert not is_headline_like(line), line
    assert is_headline_like("Sicherheitsberater beraten in Kiew über Garantien")
    caption = article("Foto: dpa/Michael Kappeler\n\nText.", path="x.txt")
    real = article(path="y.txt")
    assert best_headline([caption, real], [Entity(name="Kiew", type="LOC")], "de") == "Gespräche in Kiew"
    assert best_headline([caption], [], "de") is None


def test_figures_only_some_outlets_give_are_listed_with_them():
    reports = [("Stadtanzeiger", "Sie soll täglich 2.000 Fahrgäste befördern.", "2.000 Fahrgäste, 3 Fähren"),
               ("Nordkurier", "Ausgelegt für 1.800 Fahrgäste am Tag.", "1.800 Fahrgäste, 3 Fähren")]
    assert differing_figures(reports) == "- 2.000 Fahrgäste: Stadtanzeiger\n- 1.800 Fahrgäste: Nordkurier"
    assert differing_figures(reports[:1]) == ""
    assert load_prompt("story@v3").uses("figures") and not load_prompt("story@v2").uses("figures")


def test_the_briefing_says_which_sources_were_translated():
    from summarize.models import Briefing, Story, StorySource
    from summarize.render.files import render_markdown

    story = Story(id="s-1", headline="Talks in Kyiv", tldr="The advisers met in Kyiv.", language="en",
                  sources=[StorySource(path="a.txt", source="Zeitung", language="de", translated=True),
                           StorySource(path="b.txt", source="Post", language="en")])
    text = render_markdown(Briefing(date="2026-01-03", stories=[story], language="en"))
    assert "Zeitung — untitled — undated — a.txt — translated from de" in text
    assert "b.txt — translated" not in text


# --- a story told with its reports' sentences --------------------------------------------

FERRY_A = ("Neue Fähre für den Hafen\n\n"
           "Die Hafengesellschaft hat am Montag ihre erste Elektrofähre in Dienst gestellt. "
           "Sie soll täglich 2.000 Fahrgäste befördern. Drei weitere Fähren sollen folgen.")
FERRY_B = ("Elektrofähre startet\n\n"
           "Die erste Elektrofähre der Hafengesellschaft fährt seit Montag zwischen Altstadt und Werft. "
           "Das Schiff ist für 1.800 Fahrgäste am Tag ausgelegt. Drei weitere Fähren sollen folgen.")


def test_story_sentences_are_picked_by_number_and_figures_name_their_outlet():
    reports = [("Stadtanzeiger", "Die Fähre fährt seit Montag. Sie soll täglich 2.000 Fahrgäste befördern.",
                "… 2.000 Fahrgäste … 3 Fähren"),
               ("Nordkurier", "Die erste Elektrofähre fährt. Das Schiff ist für 1.800 Fahrgäste ausgelegt.",
                "… 1.800 Fahrgäste … 3 Fähren")]
    shown, sentences = numbered_reports([(outlet, tldr) for outlet, tldr, _ in reports])
    everywhere = counts_in_every(text for _, _, text in reports)
    assert shown.splitlines()[:3] == ["Report 1 — outlet: Stadtanzeiger", "[1] Die Fähre fährt seit Montag.",
                                      "[2] Sie soll täglich 2.000 Fahrgäste befördern."]
    assert picked_story([1, 2, 4, 1], sentences, 60, everywhere) == (
        "Die Fähre fährt seit Montag. Sie soll täglich 2.000 Fahrgäste befördern (Stadtanzeiger). "
        "Das Schiff ist für 1.800 Fahrgäste ausgelegt (Nordkurier).")
    assert picked_story([2, 1, 4], sentences, 12, everywhere) == "Sie soll täglich 2.000 Fahrgäste befördern (Stadtanzeiger). " \
                                                     "Die Fähre fährt seit Montag.", "a later pick that does not fit goes"


def test_a_picked_story_is_one_call_that_writes_nothing():
    members = []
    for text, path, outlet in ((FERRY_A, "a.txt", "Stadtanzeiger"), (FERRY_B, "b.txt", "Nordkurier")):
        a = article(text, path=path, source=outlet)
        members.append(Member(a, ArticleSummary(path=path, source=outlet, title=a.title, language="de",
                                                tldr=a.text.split(". ")[0] + ". " + a.text.split(". ")[1] + ".")))

    def picking(request: dict) -> str:
        assert _schema(request)["properties"]["sentences"]["items"]["enum"] == [1, 2, 3, 4]
        return json.dumps({"sentences": [1, 4]})

    with FakeOpenAI(answer=picking) as fake:
        story = make_story(members, fake_caller(fake), load_prompt("story@v4"), "de", Usage(), extractive=True)
        assert fake.calls == 1
        assert "[3] Die erste Elektrofähre der Hafengesellschaft" in last_user_message(fake.requests[0])
    assert story.tldr == ("Die Hafengesellschaft hat am Montag ihre erste Elektrofähre in Dienst gestellt. "
                          "Das Schiff ist für 1.800 Fahrgäste am Tag ausgelegt (Nordkurier).")
    assert story.headline in ("Neue Fähre für den Hafen", "Elektrofähre startet") and not story.flags
