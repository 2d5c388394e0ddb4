"""Loaders for the shared evaluation speech sets (``<data_dir>/speech-*/manifest.tsv``).

Each set is a folder with a ``SOURCE.md``, an ``audio/`` folder and a tab-separated
``manifest.tsv`` with the columns ``id, audio, language, speaker_l1, duration_s,
reference, reference_style, source_repo, source_commit, source_path, license``. The data
is never copied into the repository: callers pass ``Settings.data_dir`` (env
``LANGASSIST_DATA_DIR``, default ``../shared/data`` next to the checkout).

:func:`load_speech_set` returns typed :class:`SpeechItem` rows. Besides the raw columns,
each item carries a ``subset`` (``jfk``, ``librispeech``, ``fleurs``, ``earnings22``,
``speechocean762-adult``, ``speechocean762-child``, or the id's prefix for anything
else) and labels parsed from ``speaker_l1`` (``l1``, ``speaker``, ``age``, ``gender``).
"""

from __future__ import annotations

import csv
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from langassist.errors import ConfigError
from langassist.events import normalize_language

__all__ = [
    "SPEECH_SETS",
    "SpeechItem",
    "load_speech_set",
    "speech_set_dir",
]

SPEECH_SETS = ("speech-en-native", "speech-en-accented", "speech-multilingual")
"""The speech sets in the shared data folder."""

_REQUIRED_COLUMNS = ("id", "audio", "language", "reference")
_ADULT_MIN_AGE = 18
_CHILD_MAX_AGE = 12


@dataclass(frozen=True, slots=True)
class SpeechItem:
    """One evaluation clip: its audio file, exact reference and labels.

    Attributes:
        id: the manifest id (unique within its set).
        audio_path: absolute path of the audio file.
        reference: the reference transcript exactly as the source gives it.
        language: ISO 639-1 code of the spoken language (the manifest's label).
        duration_s: the manifest's duration, or ``None`` when missing.
        set_name: the folder name, e.g. ``speech-en-native``.
        subset: the source family (see module docstring), for per-group figures.
        labels: every other manifest column, plus ``l1``, ``speaker``, ``age``,
            ``gender`` when ``speaker_l1`` states them.
    """

    id: str
    audio_path: Path
    reference: str
    language: str
    duration_s: float | None = None
    set_name: str = ""
    subset: str = ""
    labels: Mapping[str, str] = field(default_factory=dict)


def speech_set_dir(name: str, data_dir: str | Path) -> Path:
    """The folder of set ``name`` under ``data_dir``.

    Raises:
        ConfigError: the folder or its manifest does not exist.
    """
    folder = Path(data_dir) / name
    if not (folder / "manifest.tsv").is_file():
        raise ConfigError(
            f"speech set {name!r} not found: no {folder / 'manifest.tsv'}; "
            "set data_dir (env LANGASSIST_DATA_DIR) to the shared data folder"
        )
    return folder


def _parse_speaker_labels(text: str) -> dict[str, str]:
    """``"zh (Mandarin L1); speaker spk0024; age 25; gender f"`` -> l1, speaker, age, gender."""
    labels: dict[str, str] = {}
    parts = [part.strip() for part in text.split(";") if part.strip()]
    if parts:
        first = re.match(r"([a-z]{2,3})\b(?:\s*\(|\s*$)", parts[0])
        code = normalize_language(first.group(1)) if first else None
        if code is not None:
            labels["l1"] = code
    for part in parts[1:]:
        key, _, value = part.partition(" ")
        if key in ("speaker", "age", "gender") and value.strip():
            labels[key] = value.strip()
    return labels


def _subset(item_id: str, labels: Mapping[str, str]) -> str:
    lowered = item_id.lower()
    if lowered.startswith("speechocean762"):
        age = labels.get("age", "")
        if age.isdigit():
            if int(age) >= _ADULT_MIN_AGE:
                return "speechocean762-adult"
            if int(age) <= _CHILD_MAX_AGE:
                return "speechocean762-child"
        return "speechocean762"
    for family in ("librispeech", "fleurs", "earnings22", "jfk"):
        if lowered.startswith(family):
            return family
    return re.split(r"[-_]", lowered, maxsplit=1)[0]


def _parse_duration(raw: str | None, where: str) -> float | None:
    if raw is None or not raw.strip():
        return None
    try:
        return float(raw)
    except ValueError as exc:
        raise ConfigError(f"{where}: duration_s {raw!r} is not a number") from exc


def load_speech_set(name: str, data_dir: str | Path) -> list[SpeechItem]:
    """Read ``<data_dir>/<name>/manifest.tsv`` into :class:`SpeechItem` rows, in file order.

    Raises:
        ConfigError: the set is missing, a required column is absent, a row is
            malformed, an id repeats, or an audio file does not exist.
    """
    folder = speech_set_dir(name, data_dir)
    manifest = folder / "manifest.tsv"
    with manifest.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_MINIMAL)
        columns = reader.fieldnames or []
        missing = [column for column in _REQUIRED_COLUMNS if column not in columns]
        if missing:
            raise ConfigError(f"{manifest}: missing column(s) {', '.join(missing)}")
        items: list[SpeechItem] = []
        seen: set[str] = set()
        for line, row in enumerate(reader, start=2):
            where = f"{manifest}:{line}"
            if None in row or any(row.get(column) is None for column in _REQUIRED_COLUMNS):
                raise ConfigError(f"{where}: wrong number of fields")
            item_id = row["id"].strip()
            if not item_id:
                raise ConfigError(f"{where}: empty id")
            if item_id in seen:
                raise ConfigError(f"{where}: id {item_id!r} appears twice")
            seen.add(item_id)
            language = normalize_language(row["language"])
            if language is None:
                raise ConfigError(f"{where}: unknown language {row['language']!r}")
            audio_path = (folder / row["audio"].strip()).resolve()
            if not audio_path.is_file():
                raise ConfigError(f"{where}: audio file {audio_path} does not exist")
            labels = {
                key: value
                for key, value in row.items()
                if key not in ("id", "audio", "language", "reference", "duration_s")
                and value is not None
            }
            labels.update(_parse_speaker_labels(row.get("speaker_l1") or ""))
            items.append(
                SpeechItem(
                    id=item_id,
                    audio_path=audio_path,
                    reference=row["reference"],
                    language=language,
                    duration_s=_parse_duration(row.get("duration_s"), where),
                    set_name=name,
                    subset=_subset(item_id, labels),
                    labels=labels,
                )
            )
    return items
