"""Measurable features of one utterance that make it hard to follow.

:class:`FeatureExtractor` turns text (plus optional word timestamps and the utterance
language) into :class:`UtteranceFeatures`: a dictionary of named values and the evidence
behind them (which words were rare, which acronyms, which codes), so that every number can
be explained in plain words.

Features (all "per sentence" values are averages over the utterance's sentences, so a
two-sentence utterance is not twice as hard as each of its sentences):

===================  ==================================================================
``speech_rate``      syllables per second of speaking time (needs word timestamps;
                     pauses longer than 0.5 s count as 0.5 s)
``sentence_length``  words per sentence
``long_words``       share of words with three or more syllables
``syllables_per_word``  mean syllables per word
``word_length``      mean letters per word
``word_frequency``   mean Zipf frequency of the words (wordfreq, utterance language)
``rare_words``       share of words below Zipf 3 (rarer than about 1 in a million words)
``rarest_word``      Zipf frequency of the rarest word
``rarity_load``      per sentence, the sum over words of how far each is below Zipf 4
``cefr_level``       mean CEFR level of the words cefrpy knows (English; 1 = A1 ... 6 = C2)
``advanced_words``   share of those words at B2 or above (English)
``cefr_load``        per sentence, the sum over words of how far each is above B1 (English)
``clauses``          commas, semicolons, colons, dashes and subordinating words per sentence
``jargon``           glossary terms and acronyms per sentence
``acronyms``         acronyms outside the glossary and outside a small everyday list, per sentence
``idioms``           glossary idioms per sentence
``codes``            spelled codes (``AB12-X9``) and digit runs of 5+ digits written without
                     thousands separators (phone, account numbers) per sentence
``numbers``          other numbers per sentence
===================  ==================================================================

A feature that cannot be measured (no timestamps, no frequency list for the language, no
CEFR data outside English) is left out, not guessed.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

from langassist.difficulty.glossary import Glossary, GlossaryHit
from langassist.difficulty.lexicon import Lexicon
from langassist.difficulty.syllables import SyllableCounter
from langassist.difficulty.text import (
    Token,
    is_all_caps,
    normalize_text,
    split_sentences,
    tokenize,
)
from langassist.events import Word

__all__ = [
    "FEATURE_NAMES",
    "FeatureExtractor",
    "UtteranceFeatures",
    "measure_speech_rate",
]

FEATURE_NAMES: tuple[str, ...] = (
    "speech_rate",
    "sentence_length",
    "long_words",
    "syllables_per_word",
    "word_length",
    "word_frequency",
    "rare_words",
    "rarest_word",
    "rarity_load",
    "cefr_level",
    "advanced_words",
    "cefr_load",
    "clauses",
    "jargon",
    "acronyms",
    "idioms",
    "codes",
    "numbers",
)

RARE_ZIPF = 3.0
"""Words below this Zipf frequency count as rare (about once per million words)."""
LOAD_ZIPF = 4.0
"""Each word below this Zipf frequency adds ``LOAD_ZIPF - zipf`` to the rarity load."""
ADVANCED_CEFR = 4.0
"""B2 and above count as advanced vocabulary."""
LOAD_CEFR = 3.0
"""Each word above B1 adds ``level - LOAD_CEFR`` to the CEFR load."""
LONG_PAUSE_S = 0.5
"""Pauses longer than this count only this long when measuring the speech rate."""
MIN_RATE_WORDS = 3
MIN_RATE_SPEECH_S = 0.6
MAX_ANALYZED_CHARS = 20_000
"""Longer inputs are analysed on their first this many characters."""
_CODE_DIGITS = 5
_COMMON_WORD_ZIPF = 4.5
_EVERYDAY_ACRONYMS = frozenset(
    "OK TV ID US USA UK EU UN AM PM PC CD DVD USB GPS SMS PIN ATM VIP CEO BBC NHS DJ "
    "FBI CIA NASA UFO HIV AIDS DNA IQ MP".split()
)
_SUBORDINATORS = frozenset(
    "which who whom whose whoever whatever whichever that although though because while "
    "whereas unless whether since until whenever wherever if once".split()
)
# Letters and digits that read as ordinary words: "20th", "1990s", "35-year-old", "3-day".
_CODE_WORDS = re.compile(r"\d+(?:st|nd|rd|th|s|am|pm)?(?:-[^\W\d_]*[a-z][^\W\d_]*)*|\d+(?:-\d+)*(?:-[a-z]+)+")
_CLAUSE_PUNCTUATION = re.compile(r"[,;:]|\s[-–—]\s|[–—]")


@dataclass(frozen=True, slots=True)
class UtteranceFeatures:
    """Feature values of one utterance and the evidence behind them.

    Attributes:
        values: feature name -> value, only for features that could be measured.
        language: the language the lexical features were measured in (``None`` unknown).
        n_words: word tokens (letters only).
        n_tokens: all tokens (words, numbers, codes).
        n_sentences: sentences holding at least one token.
        truncated: the input was longer than :data:`MAX_ANALYZED_CHARS`.
        rare: the rare words, rarest first (at most five).
        hard_words: words at B2 or above, hardest first (at most five).
        glossary_hits: glossary matches (jargon and idioms).
        acronyms: acronyms outside the glossary.
        codes: spelled codes and long digit runs.
        rarest: the rarest word, if any.
        syllables: syllables in the timed words (0 without timestamps).
        speech_s: speaking time used for the speech rate, ``None`` without one.
    """

    values: dict[str, float]
    language: str | None
    n_words: int
    n_tokens: int
    n_sentences: int
    truncated: bool = False
    rare: tuple[str, ...] = ()
    hard_words: tuple[str, ...] = ()
    glossary_hits: tuple[GlossaryHit, ...] = ()
    acronyms: tuple[str, ...] = ()
    codes: tuple[str, ...] = ()
    rarest: str | None = None
    syllables: int = 0
    speech_s: float | None = None

    def get(self, name: str) -> float | None:
        return self.values.get(name)


class FeatureExtractor:
    """Measures :data:`FEATURE_NAMES` on utterances; reuse one instance (it caches lookups).

    Args:
        glossary: the jargon, acronym and idiom glossary.
        lexicon: frequency and CEFR lookups (a new one when omitted).
    """

    def __init__(self, glossary: Glossary, lexicon: Lexicon | None = None) -> None:
        self.glossary = glossary
        self.lexicon = lexicon or Lexicon()
        self._syllable_counters: dict[str | None, SyllableCounter] = {}

    def syllable_counter(self, language: str | None) -> SyllableCounter:
        counter = self._syllable_counters.get(language)
        if counter is None:
            counter = SyllableCounter(language)
            self._syllable_counters[language] = counter
        return counter

    def extract(
        self, text: str, *, language: str | None, words: Sequence[Word] = ()
    ) -> UtteranceFeatures:
        """Measure the features of one utterance. Never raises on odd text."""
        text = normalize_text(text or "")
        truncated = len(text) > MAX_ANALYZED_CHARS
        if truncated:
            text = text[:MAX_ANALYZED_CHARS]
        tokens = tokenize(text)
        sentences = split_sentences(text)
        n_sentences = max(1, len(sentences)) if tokens else 0
        counter = self.syllable_counter(language)
        values: dict[str, float] = {}

        rate = measure_speech_rate(words, counter)
        speech_s: float | None = None
        syllables_spoken = 0
        if rate is not None:
            values["speech_rate"], syllables_spoken, speech_s = rate

        word_tokens = [token for token in tokens if token.kind == "word"]
        if not tokens:
            return UtteranceFeatures(
                values, language, 0, 0, 0, truncated, speech_s=speech_s, syllables=syllables_spoken
            )

        per_sentence = 1.0 / n_sentences
        values["sentence_length"] = len(tokens) * per_sentence
        shouting = _mostly_caps(word_tokens)

        hits = tuple(self.glossary.find(text, language))
        jargon_spans = [(hit.start, hit.end) for hit in hits if hit.kind != "idiom"]
        values["jargon"] = sum(1 for hit in hits if hit.kind != "idiom") * per_sentence
        values["idioms"] = sum(1 for hit in hits if hit.kind == "idiom") * per_sentence

        rare: list[tuple[float, str]] = []
        hard: list[tuple[float, str]] = []
        acronyms: list[str] = []
        zipfs: list[tuple[float, str]] = []
        levels: list[float] = []
        syllable_counts: list[int] = []
        letters: list[int] = []
        frequency_known = self.lexicon.supports_frequency(language)
        for token in word_tokens:
            in_jargon = _inside(token, jargon_spans)
            if (
                not shouting
                and not in_jargon
                and is_all_caps(token.text)
                and self._is_acronym(token.text, language)
            ):
                acronyms.append(token.text)
            syllable_counts.append(max(1, counter.count(token.text)))
            letters.append(sum(1 for ch in token.text if ch.isalpha()))
            if frequency_known and language is not None:
                zipf = self.lexicon.zipf(token.text, language)
                if zipf is not None:
                    zipfs.append((zipf, token.text))
                    if zipf < RARE_ZIPF:
                        rare.append((zipf, token.text))
            if language == "en" and (shouting or not is_all_caps(token.text)):
                level = self.lexicon.cefr(token.text)
                if level is not None:
                    levels.append(level)
                    if level >= ADVANCED_CEFR:
                        hard.append((-level, token.text))
        values["acronyms"] = len(acronyms) * per_sentence

        if word_tokens:
            values["syllables_per_word"] = sum(syllable_counts) / len(syllable_counts)
            values["long_words"] = sum(1 for n in syllable_counts if n >= 3) / len(syllable_counts)
            values["word_length"] = sum(letters) / len(letters)
        rarest: str | None = None
        if zipfs:
            frequencies = [zipf for zipf, _ in zipfs]
            values["word_frequency"] = sum(frequencies) / len(frequencies)
            values["rare_words"] = sum(1 for z in frequencies if z < RARE_ZIPF) / len(frequencies)
            values["rarest_word"] = min(frequencies)
            values["rarity_load"] = sum(max(0.0, LOAD_ZIPF - z) for z in frequencies) * per_sentence
            rarest = min(zipfs)[1]
        if levels:
            values["cefr_level"] = sum(levels) / len(levels)
            values["advanced_words"] = sum(1 for v in levels if v >= ADVANCED_CEFR) / len(levels)
            values["cefr_load"] = sum(max(0.0, v - LOAD_CEFR) for v in levels) * per_sentence

        subordinators = (
            sum(1 for token in word_tokens if token.text.lower() in _SUBORDINATORS)
            if language == "en"
            else 0
        )
        punctuation = len(_CLAUSE_PUNCTUATION.findall(text))
        values["clauses"] = (punctuation + subordinators) * per_sentence

        codes = [token.text for token in tokens if _is_code(token)]
        numbers = [t for t in tokens if t.kind == "number" and not _is_code(t)]
        values["codes"] = len(codes) * per_sentence
        values["numbers"] = len(numbers) * per_sentence

        return UtteranceFeatures(
            values=values,
            language=language,
            n_words=len(word_tokens),
            n_tokens=len(tokens),
            n_sentences=n_sentences,
            truncated=truncated,
            rare=tuple(word for _, word in sorted(rare)[:5]),
            hard_words=tuple(word for _, word in sorted(hard)[:5]),
            glossary_hits=hits,
            acronyms=tuple(acronyms),
            codes=tuple(codes),
            rarest=rarest,
            syllables=syllables_spoken,
            speech_s=speech_s,
        )

    def _is_acronym(self, word: str, language: str | None) -> bool:
        """An all-caps word that is not an everyday acronym nor a common word in capitals."""
        bare = word.replace(".", "").removesuffix("s") if word.endswith("s") else word.replace(".", "")
        if bare in _EVERYDAY_ACRONYMS or word.replace(".", "") in _EVERYDAY_ACRONYMS:
            return False
        if language is not None and self.lexicon.supports_frequency(language):
            zipf = self.lexicon.zipf(word.lower(), language)
            if zipf is not None and zipf >= _COMMON_WORD_ZIPF:
                return False
        return True


def measure_speech_rate(
    words: Sequence[Word], counter: SyllableCounter
) -> tuple[float, int, float] | None:
    """Syllables per second over ``words``, with the syllables and seconds counted.

    Words with missing or reversed times are skipped; pauses longer than
    :data:`LONG_PAUSE_S` count as that long. Returns ``None`` with fewer than
    :data:`MIN_RATE_WORDS` timed words or under :data:`MIN_RATE_SPEECH_S` of speech.
    """
    timed = [
        word
        for word in words
        if math.isfinite(word.start_s) and math.isfinite(word.end_s) and word.end_s >= word.start_s
    ]
    timed.sort(key=lambda word: word.start_s)
    syllables = 0
    spoken_words = 0
    speech_s = 0.0
    previous_end: float | None = None
    for word in timed:
        count = sum(
            counter.count(token.text) or _spoken_syllables(token)
            for token in tokenize(normalize_text(word.text))
        )
        if count == 0:
            continue
        start_s = word.start_s
        if previous_end is not None:
            if start_s > previous_end:
                speech_s += min(start_s - previous_end, LONG_PAUSE_S)
            start_s = max(start_s, previous_end)
        speech_s += max(0.0, word.end_s - start_s)
        previous_end = word.end_s if previous_end is None else max(previous_end, word.end_s)
        syllables += count
        spoken_words += 1
    if spoken_words < MIN_RATE_WORDS or speech_s < MIN_RATE_SPEECH_S:
        return None
    rate = min(syllables / speech_s, 15.0)
    return rate, syllables, speech_s


def _spoken_syllables(token: Token) -> int:
    """Rough syllables of a number or code read aloud (one or two per digit)."""
    digits = sum(1 for ch in token.text if ch.isdigit())
    return digits + digits // 2


def _is_code(token: Token) -> bool:
    """A spelled code (``AB12-X9``, ``MP3``) or a long digit run, not ``35-year-old``/``20th``."""
    if token.kind == "code":
        return _CODE_WORDS.fullmatch(token.text) is None
    if token.kind == "number" and "," not in token.text and "." not in token.text:
        return sum(1 for ch in token.text if ch.isdigit()) >= _CODE_DIGITS  # "5550134", "555-0134"
    return False


def _inside(token: Token, spans: Sequence[tuple[int, int]]) -> bool:
    return any(start <= token.start and token.end <= end for start, end in spans)


def _mostly_caps(word_tokens: Sequence[Token]) -> bool:
    """True when the whole text seems written in capitals (then caps mean nothing)."""
    lettered = [token for token in word_tokens if sum(ch.isalpha() for ch in token.text) >= 2]
    if len(lettered) < 4:
        return False
    return sum(1 for token in lettered if is_all_caps(token.text)) > len(lettered) / 2
