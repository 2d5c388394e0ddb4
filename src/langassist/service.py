"""The one facade that the CLI, the API and benchmarks import.

Typical use::

    from langassist import service

    settings = service.load_settings(overrides={"asr.model": "whisper-tiny.en"})
    transcriber = service.create_transcriber(settings)
    transcript = service.transcribe_file("call.wav", settings, transcriber=transcriber)
    for utterance in transcript.utterances():
        print(utterance.track, utterance.text)

Model loading happens only in :func:`create_transcriber` (never at import time), so one
loaded model can serve many files.
"""

from __future__ import annotations

import platform
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any

from langassist.asr_guards import GuardOptions
from langassist.asr_merge import MergeOptions
from langassist.backends.base import Transcriber
from langassist.config import Settings, load_settings
from langassist.errors import AudioFormatError, ConfigError, LangassistError
from langassist.transcript import CallTranscript, load_transcript

if TYPE_CHECKING:
    from langassist.assessment import Assessor, CallAssessment
    from langassist.backends.base import Embedder, LanguageIdentifier

__all__ = [
    "AssessOutcome",
    "FileOutcome",
    "assess_file",
    "assess_files",
    "assess_transcript",
    "create_assessor",
    "create_embedder",
    "create_streaming_stage",
    "create_transcriber",
    "create_translation_router",
    "load_call",
    "redacted_document",
    "load_settings",
    "load_transcript",
    "package_version",
    "run_metadata",
    "transcribe_file",
    "transcribe_files",
]

ProgressCallback = Callable[[float, float], None]
"""Called with (seconds done, seconds total) for the file being transcribed."""


def package_version() -> str:
    try:
        return metadata.version("langassist")
    except metadata.PackageNotFoundError:  # running from a source tree
        return "0+unknown"


def create_transcriber(settings: Settings, *, model_dir: str | Path | None = None) -> Transcriber:
    """Load the transcriber that ``settings.asr`` names (a catalog model, never a hub name).

    Args:
        model_dir: use this CTranslate2 directory instead of the catalog's.
    """
    asr = settings.asr
    if asr.backend != "faster-whisper":
        raise ConfigError(f"asr.backend = {asr.backend!r}: only 'faster-whisper' is available")
    from langassist.backends.faster_whisper import DecodeOptions, FasterWhisperTranscriber

    if model_dir is None:
        from langassist.catalog import load_catalog

        model_dir = load_catalog(settings.models).path(asr.model)
    options = DecodeOptions(
        beam_size=asr.beam_size,
        temperatures=asr.temperatures,
        word_timestamps=asr.word_timestamps,
        condition_on_previous_text=asr.condition_on_previous_text,
        no_speech_threshold=asr.no_speech_threshold,
        log_prob_threshold=asr.log_prob_threshold,
        compression_ratio_threshold=asr.compression_ratio_threshold,
        hallucination_silence_threshold_s=asr.hallucination_silence_threshold_s,
        vad_filter=asr.vad_filter,
        vad_min_silence_ms=asr.vad_min_silence_ms,
        vad_speech_pad_ms=asr.vad_speech_pad_ms,
        vad_window_context_s=asr.vad_window_context_s,
        max_decode_factor=asr.max_decode_factor,
        detect_language=asr.detect_language,
        candidate_languages=asr.candidate_languages,
        pack_windows=asr.pack_windows,
        segment_language_check=asr.segment_language_check,
        span_language_check=asr.span_language_check,
        skipped_speech_check=asr.skipped_speech_check,
        encode_once=asr.encode_once,
        one_pass=asr.one_pass,
        batch_size=asr.batch_size,
        pack_max_s=asr.pack_max_s,
        one_pass_pad_s=asr.one_pass_pad_s,
        second_language_below=asr.second_language_below,
        encoder_pad_s=asr.encoder_pad_s,
        encoder_min_s=asr.encoder_min_s,
    )
    text_identifier = None
    if asr.pack_windows:  # packed windows are checked for a language switch (built on first use)
        from langassist.langid.factory import LazyEnsembleIdentifier

        text_identifier = LazyEnsembleIdentifier(settings)
    return FasterWhisperTranscriber(
        model_dir,
        name=asr.model,
        options=options,
        compute_type=asr.compute_type,
        cpu_threads=asr.cpu_threads,
        text_identifier=text_identifier,
        seed=asr.seed,
    )


def create_streaming_stage(settings: Settings, transcriber: Transcriber | None = None) -> Any:
    """The streaming ASR stage for one call, sharing ``transcriber``'s loaded model.

    Partials and finals get their own decode options
    (:func:`~langassist.stages.streaming_asr.streaming_transcribers`: no VAD, no
    temperature fallback, the encoder fitted to the buffer); one stage serves every
    track of a call.
    """
    from langassist.stages.streaming_asr import (
        StreamingAsrStage,
        create_vad,
        streaming_transcribers,
    )

    transcriber = transcriber or create_transcriber(settings)
    partial, final = streaming_transcribers(transcriber, settings.streaming)
    language = settings.asr.language or (None if transcriber.multilingual else "en")
    return StreamingAsrStage(
        partial,
        vad=create_vad(settings.streaming),
        settings=settings.streaming,
        language=language,
        guards=guard_options(settings),
        final_transcriber=final,
    )


def guard_options(settings: Settings) -> GuardOptions:
    asr = settings.asr
    return GuardOptions(
        no_speech_threshold=asr.no_speech_threshold,
        log_prob_threshold=asr.log_prob_threshold,
        compression_ratio_threshold=asr.compression_ratio_threshold,
        max_repeats=asr.max_repeat_ngram,
    )


def merge_options(settings: Settings) -> MergeOptions:
    return MergeOptions(max_gap_s=settings.asr.merge_gap_s, max_duration_s=settings.asr.merge_max_s)


def run_metadata(settings: Settings, transcriber: Transcriber | None = None) -> dict[str, Any]:
    """What produced an output: versions, model, resolved settings."""
    data: dict[str, Any] = {
        "langassist_version": package_version(),
        "python": platform.python_version(),
        "machine": f"{platform.system()} {platform.machine()}",
        "settings": {
            "audio": settings.to_dict()["audio"],
            "asr": settings.to_dict()["asr"],
        },
        "settings_sha256": settings.fingerprint("audio", "asr"),
    }
    if settings.pipeline:
        data["pipeline"] = settings.pipeline
    if transcriber is not None:
        data["model"] = transcriber.name
    return data


def transcribe_file(
    path: str | Path,
    settings: Settings | None = None,
    *,
    transcriber: Transcriber | None = None,
    call_id: str | None = None,
    on_progress: ProgressCallback | None = None,
) -> CallTranscript:
    """Probe, decode and transcribe one recording, one transcript track per channel.

    Raises:
        AudioFormatError: the file is empty, corrupt, truncated, unsupported or too long
            (decided by the probe before any model runs).
        ModelUnavailable: the configured model is not installed.
    """
    from langassist.audio import check, decode
    from langassist.stages.asr import transcribe_tracks

    settings = settings or load_settings()
    path = Path(path)
    _require_file(path)
    check(path, settings.audio)
    audio = decode(path, settings=settings.audio)
    if transcriber is None:
        transcriber = create_transcriber(settings)
    call_id = call_id or path.stem
    total_s = audio.duration_s * len(audio.tracks)

    def progress(seconds: float) -> None:
        if on_progress is not None:
            on_progress(seconds, total_s)

    tracks = transcribe_tracks(
        transcriber,
        audio.tracks,
        call_id=call_id,
        language=settings.asr.language,
        guards=guard_options(settings),
        merge=merge_options(settings),
        on_progress=progress,
    )
    metadata_ = run_metadata(settings, transcriber)
    metadata_["audio"] = {
        "path": str(path),
        "container": audio.container,
        "codec": audio.codec,
        "source_sample_rate_hz": audio.source_sample_rate_hz,
        "channels": audio.channels,
    }
    return CallTranscript(
        call_id=call_id,
        tracks=tuple(tracks),
        source=str(path),
        duration_s=audio.duration_s,
        metadata=metadata_,
    )


def _require_file(path: Path) -> None:
    if not path.exists():
        raise AudioFormatError(f"{path}: no such file", status="missing", path=str(path))
    if not path.is_file():
        raise AudioFormatError(f"{path}: not a regular file", status="unsupported", path=str(path))


@dataclass(frozen=True, slots=True)
class FileOutcome:
    """The result of one file in a batch: a transcript or the error that stopped it."""

    path: Path
    transcript: CallTranscript | None = None
    error: LangassistError | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


def transcribe_files(
    paths: Iterable[str | Path],
    settings: Settings | None = None,
    *,
    transcriber: Transcriber | None = None,
    on_start: Callable[[Path], None] | None = None,
    on_progress: ProgressCallback | None = None,
) -> Iterator[FileOutcome]:
    """Transcribe several files with one loaded model; a bad file fails alone.

    The model is loaded lazily on the first file that passes the probe, so a batch of
    only bad files never loads it.
    """
    settings = settings or load_settings()
    for raw in paths:
        path = Path(raw)
        if on_start is not None:
            on_start(path)
        try:
            if transcriber is None:
                from langassist.audio import check

                _require_file(path)
                check(path, settings.audio)
                transcriber = create_transcriber(settings)
            transcript = transcribe_file(
                path, settings, transcriber=transcriber, on_progress=on_progress
            )
        except LangassistError as error:
            yield FileOutcome(path=path, error=error)
            continue
        yield FileOutcome(path=path, transcript=transcript)


# -- barrier assessment ---------------------------------------------------------------

TRANSCRIPT_SUFFIXES = (".json", ".jsonl")
"""Inputs read as transcripts (``transcribe -f json``) or chat logs, not as audio."""


def create_embedder(settings: Settings) -> Embedder | None:
    """The sentence embedder ``assessment.embedder`` names (``None`` when unset)."""
    name = settings.assessment.embedder
    if not name:
        return None
    from langassist.backends import registry

    embedder: Embedder = registry.create("embedder", name, settings)
    return embedder


def create_assessor(
    settings: Settings | None = None,
    *,
    identifier: LanguageIdentifier | None = None,
    embedder: Embedder | None = None,
    use_embedder: bool = True,
    suggestions: bool = True,
) -> Assessor:
    """Load the assessment resources once; the assessor builds a fresh chain per call.

    The chain, in order: text language ID with per-speaker state, accent per speaker,
    agent/customer mismatch, difficulty of agent utterances, customer confusion,
    suggestions, then the barrier timeline and verdict.

    Args:
        identifier: a text language identifier to use instead of the ensemble.
        embedder: a sentence embedder to use instead of ``assessment.embedder``.
        use_embedder: ``False`` skips loading an embedder (lexicon fallbacks only).
        suggestions: ``False`` leaves the suggestion stage out.
    """
    from langassist.assessment import Assessor
    from langassist.confusion.classifier import load_classifier
    from langassist.difficulty import DifficultyScorer
    from langassist.stages.accent import create_accent_stage, create_mismatch_stage
    from langassist.stages.confusion import ConfusionStage
    from langassist.stages.difficulty import DifficultyStage
    from langassist.stages.langid import LanguageStage

    settings = settings or load_settings()
    if identifier is None:
        from langassist.langid.factory import shared_ensemble_identifier

        identifier = shared_ensemble_identifier(settings)
    if embedder is None and use_embedder:
        embedder = create_embedder(settings)
    scorer = DifficultyScorer(settings.assessment)
    # The features-only clarification head: as accurate as the embedding head on the
    # benchmarks and about 100x cheaper (the embedder still catches paraphrased repeats).
    classifier = load_classifier(None)
    suggestion_resources = _suggestion_resources(settings, embedder) if suggestions else None

    def build(call_id: str) -> list[Any]:
        stages: list[Any] = [
            LanguageStage(settings.language_id, identifier),
            create_accent_stage(settings),
            create_mismatch_stage(settings),
            DifficultyStage(settings.assessment, scorer=scorer),
            ConfusionStage(settings.assessment, classifier=classifier, embedder=embedder),
        ]
        if suggestion_resources is not None:
            stages.append(suggestion_resources())
        return stages

    metadata = run_metadata(settings)
    metadata["settings"]["language_id"] = settings.to_dict()["language_id"]
    metadata["settings"]["assessment"] = settings.to_dict()["assessment"]
    metadata["settings_sha256"] = settings.fingerprint("audio", "asr", "language_id", "assessment")
    metadata["language_identifier"] = getattr(identifier, "name", type(identifier).__name__)
    metadata["embedder"] = getattr(embedder, "name", None)
    return Assessor(build, barrier_threshold=settings.assessment.barrier_threshold, metadata=metadata)


def _suggestion_resources(settings: Settings, embedder: Embedder | None) -> Callable[[], Any]:
    """Load glossary, plain words, phrasebook and translation routes once; return a
    factory of fresh per-call suggestion engines."""
    from langassist.suggest.build import create_engine, create_resources

    resources = create_resources(
        settings.suggestions,
        settings.translation,
        glossary_path=settings.assessment.glossary_path,
        phrasebook_path=settings.suggestions.phrasebook_path,
        embedder=embedder,
        cache_dir=Path(settings.models.cache_dir) / "phrasebook",
        resolve_model=_translation_model_resolver(settings),
        convert_dir=Path(settings.models.cache_dir) / "translation",
    )

    def engine() -> Any:
        return create_engine(
            resources,
            agent_languages=settings.assessment.agent_languages,
            target_syllables_per_s=settings.assessment.target_syllables_per_s,
        )

    return engine


def create_translation_router(settings: Settings) -> Any:
    """The translation router for ``settings.translation`` (model references resolved by
    the catalog, hub models converted into the cache on first use)."""
    from langassist.translate.router import TranslationRouter

    return TranslationRouter(
        settings.translation,
        resolve_model=_translation_model_resolver(settings),
        convert_dir=Path(settings.models.cache_dir) / "translation",
    )


def _translation_model_resolver(settings: Settings) -> Callable[[str], Path]:
    """Translation model references: a catalog name, else a local directory."""
    from langassist.translate.router import resolve_model_path

    def resolve(reference: str) -> Path:
        from langassist.catalog import load_catalog
        from langassist.translate.pull import find_converted

        catalog = load_catalog(settings.models)
        if reference in catalog.names():
            # `langassist models pull NAME` (online or --from-dir) converted it already.
            converted = find_converted(catalog.cache_dir, reference)
            return converted if converted is not None else Path(catalog.path(reference))
        return resolve_model_path(reference)

    return resolve


def load_call(
    path: str | Path,
    settings: Settings | None = None,
    *,
    transcriber: Transcriber | None = None,
    on_progress: ProgressCallback | None = None,
) -> CallTranscript:
    """A call's transcript from a recording (transcribed), a transcript JSON or a chat log."""
    settings = settings or load_settings()
    path = Path(path)
    if path.suffix.lower() in TRANSCRIPT_SUFFIXES:
        _require_file(path)
        return load_transcript(path)
    return transcribe_file(path, settings, transcriber=transcriber, on_progress=on_progress)


def assess_transcript(
    transcript: CallTranscript,
    settings: Settings | None = None,
    *,
    assessor: Assessor | None = None,
) -> CallAssessment:
    """Assess one call transcript (see :func:`create_assessor` for the chain)."""
    if assessor is None:
        assessor = create_assessor(settings)
    return assessor.assess(transcript)


def assess_file(
    path: str | Path,
    settings: Settings | None = None,
    *,
    transcriber: Transcriber | None = None,
    assessor: Assessor | None = None,
    on_progress: ProgressCallback | None = None,
) -> CallAssessment:
    """Transcribe (when audio) and assess one call.

    Raises:
        AudioFormatError: the recording cannot be used (decided before any model runs).
        TranscriptFormatError: the transcript or chat log is malformed.
    """
    settings = settings or load_settings()
    transcript = load_call(path, settings, transcriber=transcriber, on_progress=on_progress)
    return assess_transcript(transcript, settings, assessor=assessor)


@dataclass(frozen=True, slots=True)
class AssessOutcome:
    """The result of one input in a batch: an assessment or the error that stopped it."""

    path: Path
    assessment: CallAssessment | None = None
    error: LangassistError | None = None


def assess_files(
    paths: Iterable[str | Path],
    settings: Settings | None = None,
    *,
    transcriber: Transcriber | None = None,
    assessor: Assessor | None = None,
    on_start: Callable[[Path], None] | None = None,
    on_progress: ProgressCallback | None = None,
) -> Iterator[AssessOutcome]:
    """Assess several calls with models loaded once; a bad input fails alone.

    The speech model loads on the first recording that passes the probe and the
    assessment resources on the first usable call, so a batch of bad files loads nothing.
    """
    settings = settings or load_settings()
    for raw in paths:
        path = Path(raw)
        if on_start is not None:
            on_start(path)
        try:
            if path.suffix.lower() not in TRANSCRIPT_SUFFIXES and transcriber is None:
                from langassist.audio import check

                _require_file(path)
                check(path, settings.audio)
                transcriber = create_transcriber(settings)
            transcript = load_call(path, settings, transcriber=transcriber, on_progress=on_progress)
            if assessor is None:
                assessor = create_assessor(settings)
            assessment = assessor.assess(transcript)
        except LangassistError as error:
            yield AssessOutcome(path=path, error=error)
            continue
        yield AssessOutcome(path=path, assessment=assessment)


def redacted_document(assessment: CallAssessment, settings: Settings | None = None) -> dict[str, Any]:
    """The assessment's JSON document, with PII redacted unless ``privacy.redact`` is off.

    The document records what was done under ``privacy``: redaction on or off and the
    number of redactions of each kind.
    """
    from langassist.pii import redact_document

    settings = settings or load_settings()
    document = assessment.to_dict()
    if not settings.privacy.redact:
        document["privacy"] = {"redacted": False, "redactions": {}}
        return document
    redacted, counts = redact_document(document)
    redacted["privacy"] = {"redacted": True, "redactions": counts}
    return dict(redacted)
