"""Text normalization for WER/CER: Whisper's normalizers plus one digit rule.

Both sides of a comparison (reference and hypothesis) go through the same normalizer, so
differences in case, punctuation, spelling variants ("colour"/"color"), contractions
("won't"/"will not"), fillers ("um", "uh") and number style ("twenty five"/"25") do not
count as errors.

Choice of implementation: the PyPI package ``whisper-normalizer`` (MIT), a verbatim
packaging of OpenAI Whisper's ``EnglishTextNormalizer`` and ``BasicTextNormalizer``
(also MIT). It is small (pure Python; deps ``regex``, ``more-itertools``, ``text2num``,
``indic-numtowords``) and is the exact normalizer the peer figures in
``research/baselines.md`` were computed with, so our numbers stay comparable. It is
imported lazily, when a normalizer is first built.

The extra rule, :func:`join_digit_runs`: the English normalizer turns the spoken
reference "TWO SIX FOUR EIGHT" into ``2648`` but the written hypothesis "2-6-4-8" into
four tokens ``2 6 4 8``, which would count one correct answer as four errors (13 of the
40 speechocean762 children's prompts are digit strings). So after normalization, runs of
two or more single-digit tokens are joined into one token. Whisper's normalizer also
writes a lone ``1`` as ``one`` ("1 5 9 9" becomes ``one 5 9 9``), so inside such a run
``one`` counts as the digit 1. A lone ``one`` ("the purple one") is never touched.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache

from langassist.errors import BackendUnavailable

__all__ = [
    "Normalizer",
    "join_digit_runs",
    "normalize_basic",
    "normalize_english",
    "normalizer_for",
]

Normalizer = Callable[[str], str]
"""A function from raw text to normalized, space-separated tokens."""

_DIGIT_WORDS = {"one": "1"}
_INSTALL_HINT = (
    "WER normalization needs whisper-normalizer: "
    "pip install whisper-normalizer (or the langassist 'eval' extra)"
)


def _digit_of(token: str) -> str | None:
    if len(token) == 1 and token.isascii() and token.isdigit():
        return token
    return _DIGIT_WORDS.get(token)


def join_digit_runs(text: str) -> str:
    """Join runs of two or more single-digit tokens: ``"2 6 4 8"`` -> ``"2648"``.

    ``one`` counts as ``1`` inside a run (``"one 5 9 9"`` -> ``"1599"``); a lone digit
    or a lone ``one`` stays as it is. Whitespace is collapsed to single spaces.
    """
    tokens = text.split()
    out: list[str] = []
    run: list[str] = []

    def close_run() -> None:
        if len(run) >= 2:
            out.append("".join(_digit_of(token) or token for token in run))
        else:
            out.extend(run)
        run.clear()

    for token in tokens:
        if _digit_of(token) is not None:
            run.append(token)
        else:
            close_run()
            out.append(token)
    close_run()
    return " ".join(out)


@lru_cache(maxsize=1)
def _english() -> Normalizer:
    try:
        from whisper_normalizer.english import EnglishTextNormalizer
    except ModuleNotFoundError as exc:
        raise BackendUnavailable(_INSTALL_HINT) from exc
    normalizer: Normalizer = EnglishTextNormalizer()
    return normalizer


@lru_cache(maxsize=1)
def _basic() -> Normalizer:
    try:
        from whisper_normalizer.basic import BasicTextNormalizer
    except ModuleNotFoundError as exc:
        raise BackendUnavailable(_INSTALL_HINT) from exc
    normalizer: Normalizer = BasicTextNormalizer()
    return normalizer


def normalize_english(text: str) -> str:
    """Whisper's English normalizer followed by :func:`join_digit_runs`.

    Lower-cases, removes punctuation and fillers, expands contractions, standardizes
    British spellings and writes numbers as digits.
    """
    return join_digit_runs(_english()(text))


def normalize_basic(text: str) -> str:
    """Whisper's language-neutral normalizer: lower-case, symbols removed, spaces collapsed.

    Used for every language other than English. Diacritics are kept.
    """
    return " ".join(_basic()(text).split())


def normalizer_for(language: str | None) -> Normalizer:
    """The normalizer for a reference in ``language`` (English rules only for ``en``)."""
    if language is not None and language.lower().split("-")[0] == "en":
        return normalize_english
    return normalize_basic
