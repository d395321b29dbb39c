from summarize.llm.chunk import split_for_context, split_sentences
from summarize.text.tokens import count_tokens


def paragraph(i: int) -> str:
    return " ".join(f"Satz {i}.{j} berichtet über die Verhandlungen in Genf am Montag." for j in range(12))


def test_short_text_is_one_chunk():
    assert split_for_context("Kurz. Und knapp.", 500) == ["Kurz. Und knapp."]


def test_long_text_splits_on_boundaries_within_budget_with_overlap():
    text = "\n\n".join(paragraph(i) for i in range(30))
    chunks = split_for_context(text, budget=600, overlap=60)
    assert len(chunks) > 3
    assert all(count_tokens(c) <= 600 for c in chunks)
    for before, after in zip(chunks, chunks[1:]):
        last_sentence = split_sentences(before.split("\n\n")[-1])[-1]
        assert after.split("\n\n")[0].endswith(last_sentence), "each chunk opens with the end of the one before"
    for i in range(30):
        assert f"Satz {i}.11 " in text and any(f"Satz {i}.11 " in c for c in chunks)


def test_one_huge_paragraph_is_split_by_sentences():
    text = paragraph(1) * 20
    chunks = split_for_context(text, budget=300, overlap=0)
    assert len(chunks) > 1 and all(count_tokens(c) <= 300 for c in chunks)


def test_no_text_has_more_tokens_than_bytes():
    # split_for_context sends a text whole, uncounted, when its UTF-8 bytes fit the budget.
    texts = ["Die Stadtwerke erhöhen die Preise.", "東京の池袋で火災が発生した。", "🙂🚀🧭 ✓ — „Zitat“",
             "a" * 5000, "Ü" * 3000, "\u200b\u2028\ufeff" * 100, ""]
    for text in texts:
        assert count_tokens(text) <= len(text.encode("utf-8"))
        budget = len(text.encode("utf-8"))
        assert split_for_context(text, max(budget, 1)) == [text]
