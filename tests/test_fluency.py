"""The fluency measure: each check on clear cases, the recorded judge, and the
measure against the hand-labelled sentences of evals/fluency/."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace

import pytest

from summarize.evaluate import fluency
from summarize.evaluate.fluency import sentence_fluency, tldr_fluency
from summarize.evaluate.fluency_judge import LiveJudge, ReplayJudge, judge_key

SENTENCES = Path(__file__).resolve().parents[1] / "evals" / "fluency" / "sentences.jsonl"


def rows() -> list[dict]:
    return [json.loads(line) for line in SENTENCES.read_text(encoding="utf-8").splitlines() if line.strip()]


@pytest.mark.parametrize(("check", "language", "broken", "fluent"), [
    ("truncated", "de", "Witkoff sprach von einem", "Witkoff sprach von einem Durchbruch."),
    ("truncated", "de", "Selenskyj erwartet Fortschritte für sein-Lä",
     "»Der Druck muss erhöht werden«, sagte er."),
    ("truncated", "en", "They objected to the surcharge the.", "They objected to the surcharge."),
    ("repeated_word", "de", "Gekommen seien Diplomaten aus der EU und und Kanada.",
     "Westliche Länder, die die Ukraine unterstützen, beraten."),
    ("repeated_word", "de", "Ein Ende des Angriffskriegskrieges ist nicht in Sicht.",
     "Ein Ende des Angriffskrieges ist nicht in Sicht."),
    ("repeated_word", "en", "Schools reopen on Monday after the the holidays.", "He said that that was wrong."),
    ("foreign_words", "de", "Die Regierung hat announced, dass die Mieten steigen.",
     "Die Regierung hat angekündigt, dass die Mieten online beantragt werden."),
    ("foreign_words", "en", "The council has beschlossen to replace the pipes.",
     "Landkreis Ortenfeld plans new heat networks for 23 towns."),
    ("foreign_words", "en", "Bundesregierung sets rent limits for old buildings.",
     "Volkswagen has told staff it will shut plants; JJ won Eurovision for Austria."),
    ("foreign_words", "en", "The city adds a monthly Zuschlag of $4.50.", "The Bundesrat Committee met on Friday."),
    ("unknown_word", "de", "Die Ukraine bekennt sich zu einem dauerhaftigen Frieden.",
     "Die Ukraine bekennt sich zu einem dauerhaften Frieden."),
    ("unknown_word", "en", "The Met Office keeped a warning in place.", "The unused credit went to the carmaker."),
    ("foreign_script", "de", "Die Opposition fordert eine dauerhafテ Lösung.",
     "Die Opposition fordert eine dauerhafte Lösung für Zürich und Kyjiw – sofort."),
    ("bare_country", "de", "Sicherheitsberater in Kyjiw nach Ukraine geschickt.",
     "Sicherheitsberater in Kyjiw in die Ukraine geschickt."),
    ("bare_country", "de", "Ukraine hat Sicherheitsberater nach Kyjiw geschickt.",
     "Die Ukraine hat Sicherheitsberater nach Kyjiw geschickt."),
    ("bare_country", "de", "Die USA versucht sich als Vermittler.", "Die USA versuchen sich als Vermittler."),
    ("bare_country", "de", "USA und Europa beraten über den Frieden.",
     "USA und Ukraine in Miami über Friedenslösung gesprochen."),
    ("verbless_fragments", "de", "Die USA vermitteln, Verhandlungen in Miami, Vertreter Kiews und Moskaus.",
     "Der Frieden ist ungewiss, da wichtige Fragen, insbesondere zu Gebieten, offen sind."),
    ("verbless_fragments", "de", "Die Rakete ist gestartet, Josef Aschbacher, Chef der ESA, Erfolg.",
     "Josef Aschbacher, Chef der Europäischen Raumfahrtbehörde, spricht von einem Erfolg."),
    ("no_verb", "de", "Dokumente für Friedensvertrag Abstimmung.", "Neue Radwege in der Innenstadt geplant."),
    ("verbless_fragments", "en", "Storm Elin, power cuts, 40,000 homes, ferry services, Cornwall and Devon.",
     "Storm Elin cuts power to 40,000 homes, ferry services suspended, schools and roads closed."),
    ("word_salad", "de", "Landkreis Ortenfeld Wärmeplan Solaranlagen übertroffen Netze zurück Windkraft.",
     "Der Landkreis hat beim Wärmeplan seine Ziele für Solaranlagen übertroffen."),
    ("english_verb_form", "en", "The surcharge will expires once the program is complete.",
     "The plan will bring relief, and residents can check if the work will need permits."),
    ("english_verb_form", "en", "About 21,000 homes is still connected to lead pipes.",
     "About 21,000 homes are still connected to lead pipes; the news is bad."),
    ("german_adjective_case", "de", "Das sagte er laut staatliche Nachrichtenagentur Ukrinform.",
     "Das sagte er laut staatlicher Nachrichtenagentur Ukrinform."),
    ("german_adjective_case", "de", "Die USA beraten mit der Ukraine und die europäische Verbündeten.",
     "Wichtige Fragen bleiben offen, freie Mieten steigen, der Preis ehrt grundlegende Arbeiten."),
    ("german_adjective_case", "de", "Er kam mit seine Frau.",
     "Vertreter nehmen teil, während eine US-Delegation online zugeschaltet ist."),
    ("german_modal_verb", "de", "Der Nationalrat soll das Gesetz noch im Jänner beschließt.",
     "Der Nationalrat soll das Gesetz noch im Jänner beschließen, damit es gelten kann."),
])
def test_each_check_fires_on_the_broken_sentence_only(check, language, broken, fluent) -> None:
    assert fluency.CHECKS[check](broken, language), broken
    assert not fluency.CHECKS[check](fluent, language), fluent


def test_other_languages_are_not_measured() -> None:
    result = sentence_fluency("La grève est suspendue.", "fr")
    assert result.fluent is None
    assert tldr_fluency("La grève est suspendue.", "fr") is None


def test_sentences_are_not_cut_after_an_ordinal_or_an_initial() -> None:
    tldr = ("Der Preis wird am 10. Dezember übergeben. Ihn erhalten John M. Martinis und zwei Kollegen. "
            "Dafür waren 60 Mrd. Euro vorgesehen.")
    assert fluency.tldr_sentences(tldr) == ["Der Preis wird am 10. Dezember übergeben.",
                                            "Ihn erhalten John M. Martinis und zwei Kollegen.",
                                            "Dafür waren 60 Mrd. Euro vorgesehen."]
    assert tldr_fluency(tldr, "de") == 1.0


def test_tldr_fluency_is_the_share_of_fluent_sentences() -> None:
    tldr = ("Die USA versuchen sich als Vermittler im Ukraine-Krieg. "
            "Sicherheitsberater in Kyjiw nach Ukraine geschickt.")
    assert tldr_fluency(tldr, "de") == 0.5


def _write_recording(path: Path, text: str, language: str, top: list[list]) -> None:
    entry = {"key": judge_key(text, language), "text": text, "language": language, "top_logprobs": top}
    path.write_text(json.dumps(entry, ensure_ascii=False) + "\n", encoding="utf-8")


def test_the_replay_judge_reads_a_recording_and_knows_nothing_else(tmp_path: Path) -> None:
    recording = tmp_path / "judge.jsonl"
    _write_recording(recording, "Die USA versuchen sich als Vermittler.", "de",
                     [["No", -0.2], ["Yes", -1.8], ["no", -3.0]])
    judge = ReplayJudge(recording)
    assert judge("Die USA versuchen sich als Vermittler.", "de") == pytest.approx(0.8401, abs=1e-3)
    assert judge("Die USA versuchen sich als Vermittler.", "en") is None
    assert judge("Ein Satz, den niemand aufgenommen hat.", "de") is None
    unjudged = sentence_fluency("Ein Satz, den niemand aufgenommen hat.", "de", judge)
    assert unjudged.fluent is True and not unjudged.judged and "judge: not recorded" in unjudged.reasons


def test_a_judged_sentence_no_check_flags_follows_the_judge(tmp_path: Path) -> None:
    recording = tmp_path / "judge.jsonl"
    text = "Der Minister haben die Pläne gestern vorgestellt."
    _write_recording(recording, text, "de", [["No", -0.01], ["Yes", -5.0]])
    result = sentence_fluency(text, "de", ReplayJudge(recording))
    assert result.judged and result.fluent is False and result.score < 0.05


def test_the_live_judge_asks_once_and_appends_to_the_recording(tmp_path: Path) -> None:
    calls = []

    def create(**request):
        calls.append(request)
        top = [SimpleNamespace(token="Yes", logprob=-0.1), SimpleNamespace(token="No", logprob=-2.4)]
        return SimpleNamespace(choices=[SimpleNamespace(logprobs=SimpleNamespace(
            content=[SimpleNamespace(top_logprobs=top)]))])

    client = SimpleNamespace(chat=SimpleNamespace(completions=SimpleNamespace(create=create)))
    recording = tmp_path / "judge.jsonl"
    judge = LiveJudge(client, recording)
    first = judge("Homeowners will not be charged.", "en")
    assert judge("Homeowners will not be charged.", "en") == first
    assert len(calls) == 1 and calls[0]["max_tokens"] == 1 and calls[0]["logprobs"] is True
    assert ReplayJudge(recording)("Homeowners will not be charged.", "en") == pytest.approx(first)


# Measured with the checks alone on the dev split: accuracy 0.847 (116 of 137),
# no fluent sentence flagged; the floor lets no dev sentence go.
DEV_ACCURACY_FLOOR = 0.84
# Measured with the checks and the recorded judge: none of the 22 paraphrases flagged.
PARAPHRASES_FLAGGED = 0


def test_the_checks_alone_keep_their_dev_accuracy() -> None:
    dev = [r for r in rows() if r["split"] == "dev"]
    right = sum((sentence_fluency(r["text"], r["language"]).fluent is True) == (r["label"] == "fluent") for r in dev)
    assert right / len(dev) >= DEV_ACCURACY_FLOOR


def test_fluent_paraphrases_are_not_flagged() -> None:
    paraphrases = [r for r in rows() if r["origin"] == "paraphrase"]
    judge = ReplayJudge()
    flagged = [r["id"] for r in paraphrases if sentence_fluency(r["text"], r["language"], judge).fluent is False]
    assert len(flagged) <= PARAPHRASES_FLAGGED, flagged


def test_every_labelled_sentence_has_a_recorded_judgment() -> None:
    judge = ReplayJudge()
    assert [r["id"] for r in rows() if judge(r["text"], r["language"]) is None] == []
