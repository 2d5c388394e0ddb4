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
from typing import Any

from langassist.asr_guards import GuardOptions
from langassist.backends.base import Transcriber
from langassist.config import Settings, load_settings
from langassist.errors import AudioFormatError, ConfigError, LangassistError
from langassist.transcript import CallTranscript, TrackTranscript, load_transcript

__all__ = [
    "FileOutcome",
    "create_transcriber",
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
        max_decode_factor=asr.max_decode_factor,
        detect_language=asr.detect_language,
    )
    return FasterWhisperTranscriber(
        model_dir,
        name=asr.model,
        options=options,
        compute_type=asr.compute_type,
        cpu_threads=asr.cpu_threads,
    )


def guard_options(settings: Settings) -> GuardOptions:
    asr = settings.asr
    return GuardOptions(
        no_speech_threshold=asr.no_speech_threshold,
        log_prob_threshold=asr.log_prob_threshold,
        compression_ratio_threshold=asr.compression_ratio_threshold,
        max_repeats=asr.max_repeat_ngram,
    )


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
    from langassist.stages.asr import transcribe_track

    settings = settings or load_settings()
    path = Path(path)
    _require_file(path)
    check(path, settings.audio)
    audio = decode(path, settings=settings.audio)
    if transcriber is None:
        transcriber = create_transcriber(settings)
    call_id = call_id or path.stem
    total_s = audio.duration_s * len(audio.tracks)
    done_before = 0.0
    tracks: list[TrackTranscript] = []
    for track_name, samples in audio.tracks.items():
        def progress(seconds: float, base: float = done_before) -> None:
            if on_progress is not None:
                on_progress(base + seconds, total_s)

        tracks.append(
            transcribe_track(
                transcriber,
                samples,
                call_id=call_id,
                track=track_name,
                language=settings.asr.language,
                guards=guard_options(settings),
                on_progress=progress,
            )
        )
        done_before += samples.size / 16000.0
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
