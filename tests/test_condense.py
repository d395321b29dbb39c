from pathlib import Path

import pytest

from summarize.clean.cleaner import clean_paths
from summarize.llm.chunk import split_sentences
from summarize.llm.condense import InputBudget, _sentences, condense, key_terms
from summarize.llm.prompts import PromptError, load_prompt, parse_prompt
from summarize.text.normalize import tokenize
from summarize.text.tokens import count_tokens
from summarize.tldr.stage import article_parts

SEEDS = sorted(str(p) for p in (Path(__file__).parent.parent / "seeds").glob("*.txt"))

LEAD = ("Die Stadt Bremen hat am Montag einen neuen Hafenchef ernannt. "
        "Jan Vogt übernimmt das Amt im Mai.")
FILLER = "Das sei eine gute Entscheidung gewesen, hieß es im Umfeld der Verwaltung immer wieder."
LATE_FACT = "Die Erweiterung des Hafens kostet 48 Millionen Euro und soll bis 2029 fertig sein."


def _article() -> str:
    return "\n\n".join([LEAD, " ".join([FILLER] * 6), LATE_FACT, " ".join([FILLER] * 6)])


def test_an_article_within_the_budget_is_sent_unchanged():
    text = "Kurz: Jan Vogt wird Hafenchef in Bremen."
    assert condense(text, InputBudget(keep_share=0.5, min_tokens=200)) is text


def test_condensing_keeps_the_lead_and_the_sentence_with_new_names_and_numbers_in_order():
    text = _article()
    budget = InputBudget(keep_share=0.4, min_tokens=0)
    short = condense(text, budget)
    assert count_tokens(short) <= budget.tokens_for(count_tokens(text))
    assert short.startswith(LEAD)
    assert LATE_FACT in short and short.index(LEAD) < short.index(LATE_FACT)
    # the repeated filler adds no new names or numbers after its first copy
    assert short.count(FILLER) <= 1


def test_key_terms_are_numbers_and_capitalised_words_inside_the_sentence():
    assert key_terms("Die Erweiterung kostet 48 Millionen Euro.") == {"erweiterung", "48", "millionen", "euro"}
    assert "die" not in key_terms("Die Stadt wächst.")


def test_input_table_of_a_prompt_version(tmp_path):
    prompt = load_prompt("tldr@v6")
    assert prompt.input_budget == InputBudget(keep_share=0.55, min_tokens=200)
    assert load_prompt("tldr@v4").input_budget is None
    bad = b'name = "tldr"\nversion = "v9"\nsystem = "s"\nuser = "$article"\n[input]\nkeep_share = 1.5\n'
    with pytest.raises(PromptError, match=r"\[input\]"):
        parse_prompt(bad, path="v9.toml")


def test_condensed_seed_articles_keep_their_lead_and_most_of_their_names():
    prompt = load_prompt("tldr@v6")
    for article in clean_paths(SEEDS):
        (sent,) = article_parts(article.text, prompt, 8192)
        assert count_tokens(sent) <= 0.6 * count_tokens(article.text)
        first_sentence = split_sentences(article.text.split("\n\n")[0])[0]
        assert sent.startswith(first_sentence)
        names = {t for t in key_terms(article.text) if t[0].isalpha()}
        kept = {t for t in key_terms(sent) if t[0].isalpha()}
        assert len(kept & names) >= 0.6 * len(names), article.path


def test_the_text_s_own_tokens_give_the_same_condensed_text():
    """The terms of each sentence read from the whole text's tokens (the
    grounding index's) equal those of tokenizing the sentence alone, also
    where a sentence opens with a name's second word ("H. Devoret"), ends on
    an abbreviation ("U.S.") or follows an ordinal ("3. März")."""
    edges = ("Der Preis ging an Michel H. Devoret aus Paris. Die Jury tagte in den U.S. Das Treffen "
             "begann am 3. März in Genf. „Wir sind froh“, sagte Anna Berg. 48 Staaten stimmten zu.")
    texts = [_article(), edges + "\n\n" + " ".join([FILLER] * 8) + "\n\n" + LATE_FACT]
    texts += [a.text for a in clean_paths(SEEDS)]
    budget = InputBudget(keep_share=0.3, min_tokens=0)
    for text in texts:
        assert condense(text, budget, tokenize(text)) == condense(text, budget)
    tokens = tokenize(edges)
    assert [s.terms for s in _sentences(edges, tokens)] == [key_terms(s) for s in split_sentences(edges)]
    assert "devoret" not in key_terms("Devoret gewann.")  # opens its sentence
