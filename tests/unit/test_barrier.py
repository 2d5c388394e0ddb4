from langassist.barrier import BarrierTimeline
from langassist.events import (
    AccentScored,
    ConfusionDetected,
    DifficultyScored,
    MismatchDetected,
    Score,
)


def difficulty(t: float, v: float) -> DifficultyScored:
    return DifficultyScored("c", "agent", t, f"agent-{int(t)}", Score(v))


def test_no_signals_is_unknown() -> None:
    summary = BarrierTimeline("c").summary()
    assert summary.barrier is None and summary.score.value is None


def test_unknown_scores_are_ignored() -> None:
    timeline = BarrierTimeline("c")
    assert timeline.observe(difficulty(1, 0.0).__class__("c", "agent", 1, "u", Score(None))) is None
    assert timeline.summary().barrier is None


def test_easy_call_is_no_barrier() -> None:
    timeline = BarrierTimeline("c")
    for t in range(0, 100, 10):
        timeline.observe(difficulty(t, 0.1))
    summary = timeline.summary()
    assert summary.barrier is False
    assert summary.main_causes == ()
    assert summary.score.confidence > 0.6


def test_mismatch_and_confusion_make_a_barrier_with_causes() -> None:
    timeline = BarrierTimeline("c")
    timeline.observe(difficulty(5, 0.3))
    timeline.observe(MismatchDetected("c", "customer", 10, "en", "es", Score(0.9)))
    timeline.observe(ConfusionDetected("c", "customer", 12, "clarification_request", Score(0.9)))
    timeline.observe(AccentScored("c", "customer", 14, "en", Score(0.7), "es"))
    summary = timeline.summary()
    assert summary.barrier is True
    assert summary.main_causes[0] == "mismatch"
    assert "confusion" in summary.main_causes
    assert any("clarification request x1" in r.detail for r in summary.score.reasons)


def test_confusion_decays_over_call_time() -> None:
    timeline = BarrierTimeline("c")
    first = timeline.observe(ConfusionDetected("c", "customer", 0, "long_silence", Score(0.8)))
    later = timeline.observe(difficulty(600, 0.0))
    assert first is not None and later is not None
    assert later.signals["confusion"] < 0.01 < first.signals["confusion"]


def test_level_is_monotonic_in_each_signal() -> None:
    low, high = BarrierTimeline("a"), BarrierTimeline("b")
    low.observe(difficulty(1, 0.2))
    high.observe(difficulty(1, 0.8))
    assert high.points[-1].level > low.points[-1].level
