"""The words clustering compares: lemmatised, folded content words of German
and English text, without function words."""

from __future__ import annotations

import re
from functools import lru_cache

from summarize.ground.lexicon import lemmatize
from summarize.text.normalize import fold

# Function words carry no event information but dominate raw counts (folded forms).
_GERMAN_STOP_WORDS = frozenset(
    """
    aber alle allem allen aller alles als also am an ander andere anderem anderen
    anderer anderes auch auf aus bei beim bereits bin bis bist da dabei damit dann
    das dass dem demnach den denen denn der deren des dessen die dies diese diesem
    diesen dieser dieses doch dort du durch ein eine einem einen einer eines einig
    einige er es etwa euch fur gegen gewesen hab habe haben hat hatte hatten heute
    hier hin hinter ich ihm ihn ihnen ihr ihre ihrem ihren ihrer ihres im in indem
    ins ist ja jede jedem jeden jeder jedes jetzt kann kein keine keinem keinen
    keiner konnen konnte man manche mehr mein mich mir mit muss mussen musste nach
    nachdem nicht nichts noch nun nur ob oder ohne rund sagen sagt sagte schon sehr
    sei seien sein seine seinem seinen seiner seit sich sie sind so soll sollen
    sollte sondern sowie uber um und uns unser unsere unter viel vom von vor war
    waren warum was weil welche welchem welchen welcher wenn wer werde werden wie
    wieder will wir wird wo wollen worden wurde wurden zu zudem zum zur zwar
    zwischen
    """.split()
)
_ENGLISH_STOP_WORDS = frozenset(
    """
    a about above across after afterwards again against all almost along already also although always
    am among an and another any anyone anything are around as at back be became because become been
    before behind being below beside besides between beyond both but by can cannot could did do does
    done down during each either else even ever every everyone everything few for former from further
    had has have he hence her here hers herself him himself his how however if in indeed into is it its
    itself last latter least less made many may me meanwhile might more moreover most mostly much must
    my myself neither never nevertheless next no nobody none nor not nothing now of off often on once
    one only onto or other others otherwise our ours ourselves out over own per perhaps rather said same
    say says several she should since so some something sometimes still such than that the their them
    themselves then there thereby therefore these they this those though through throughout thus to
    together too toward towards under until up upon us very via was we well were what whatever when
    whenever where whereas whether which while who whoever whole whom whose why will with within without
    would yet you your yours yourself
    """.split()
)
_STOP_WORDS = _GERMAN_STOP_WORDS | _ENGLISH_STOP_WORDS
_WORD = re.compile(r"[^\W\d_]{2,}")
_LEMMA_LANGUAGES = ("de", "en")


@lru_cache(maxsize=16384)
def _term(word: str) -> str | None:
    folded = fold(word)
    if folded in _STOP_WORDS:
        return None
    lemma = fold(lemmatize(word, lang=_LEMMA_LANGUAGES))
    return None if lemma in _STOP_WORDS else lemma


def content_terms(text: str) -> list[str]:
    """Lemmatised, folded content words: `Gespräche` and `Gespräch` count as one."""
    return [term for word in _WORD.findall(text) if (term := _term(word))]
