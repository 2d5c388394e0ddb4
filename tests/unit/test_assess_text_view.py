"""The person-readable view of ``langassist assess``: long utterances are cut, not lost."""

from __future__ import annotations

from langassist.cli.assess import TEXT_VIEW_MAX_CHARS, render_assessment_text


def document(text: str) -> dict:
    return {
        "call_id": "c", "duration_s": 3.0,
        "verdict": {"barrier": False, "value": 0.1, "confidence": 0.8, "main_causes": []},
        "speakers": {},
        "utterances": [{"start_s": 0.0, "track": "customer", "text": text,
                        "text_language": {"language": "en"}}],
    }


def test_short_utterance_is_shown_whole() -> None:
    out = render_assessment_text(document("my router\nis blinking"))
    assert "[en]  my router is blinking" in out
    assert "more characters" not in out


def test_very_long_utterance_is_cut_at_a_word_and_says_how_much_is_left() -> None:
    text = " ".join(f"word{i}" for i in range(3000))
    out = render_assessment_text(document(text))
    line = next(row for row in out.splitlines() if "word0 " in row)
    assert len(line) < TEXT_VIEW_MAX_CHARS + 120
    shown = line.split("[en]", 1)[1].split(" ... (", 1)[0].split()
    assert shown == text.split()[: len(shown)]  # whole words, in order
    left = len(text) - len(" ".join(shown))
    assert f"({left} more characters; --format json has them all)" in line


def test_one_unbroken_token_is_cut_at_the_limit() -> None:
    out = render_assessment_text(document("x" * 1000))
    assert "x" * TEXT_VIEW_MAX_CHARS + " ... (600 more characters" in out


def test_a_long_suggestion_is_cut_too() -> None:
    doc = document("short")
    doc["suggestions"] = [{"time_s": 1.0, "category": "recover", "text": "Say it again: " + "y " * 600,
                           "reason": "r"}]
    out = render_assessment_text(doc)
    line = next(row for row in out.splitlines() if "[recover]" in row)
    assert len(line) < TEXT_VIEW_MAX_CHARS + 120 and "more characters; --format json has them all" in line
