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
import hashlib
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from langassist.errors import ConfigError
from langassist.events import normalize_language

__all__ = [
    "LANGID_CATEGORIES",
    "LANGID_LANGUAGES",
    "SPEECH_SETS",
    "LevelText",
    "ManifestItem",
    "SentencePair",
    "SpeechItem",
    "TextItem",
    "fingerprint_files",
    "is_manifest",
    "langid_split_of",
    "load_clarification",
    "load_langid_lingua",
    "load_manifest",
    "load_onestop",
    "load_speech_set",
    "load_translation_set",
    "onestop_dir",
    "onestop_split",
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


# -- generic manifests and the shared text sets ------------------------------------------------
#
# Small pure loaders used by the evaluation harness (``langassist eval``). The split rules
# are the ones the benchmarks use (``benchmarks/text_langid_common.py``,
# ``benchmarks/train_difficulty.py``, ``benchmarks/train_confusion.py``), recomputed from
# the data so the package does not need the ``benchmarks/`` folder.


@dataclass(frozen=True, slots=True)
class ManifestItem:
    """One row of a user manifest (TSV, CSV or JSONL).

    Attributes:
        id: the ``id`` column, or ``row-<n>`` when absent.
        text: the ``text`` column (input text for text tasks; empty for audio).
        audio_path: the ``audio`` (or ``path``) column resolved against the manifest folder.
        reference: the ``reference`` column (transcript or translation reference).
        language: the ``language`` column, normalized (``None`` when empty/unknown).
        label: the ``label`` column as text (class, level or 0/1).
        extra: every other column.
    """

    id: str
    text: str = ""
    audio_path: Path | None = None
    reference: str = ""
    language: str | None = None
    label: str = ""
    extra: Mapping[str, str] = field(default_factory=dict)


_MANIFEST_SUFFIXES = (".tsv", ".csv", ".jsonl", ".json")
_KNOWN_COLUMNS = ("id", "text", "audio", "path", "reference", "language", "label")


def is_manifest(path: str | Path) -> bool:
    """Whether ``path`` is a manifest file (by suffix) rather than a dataset folder."""
    path = Path(path)
    return path.is_file() and path.suffix.lower() in _MANIFEST_SUFFIXES


def _manifest_rows(path: Path) -> list[dict[str, Any]]:
    suffix = path.suffix.lower()
    if suffix in (".jsonl", ".json"):
        rows: list[dict[str, Any]] = []
        with path.open(encoding="utf-8") as handle:
            for line, raw in enumerate(handle, start=1):
                if not raw.strip():
                    continue
                try:
                    row = json.loads(raw)
                except json.JSONDecodeError as exc:
                    raise ConfigError(f"{path}:{line}: not JSON ({exc.msg})") from exc
                if not isinstance(row, dict):
                    raise ConfigError(f"{path}:{line}: each line must be a JSON object")
                rows.append(row)
        return rows
    delimiter = "\t" if suffix == ".tsv" else ","
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle, delimiter=delimiter)
        out = []
        for line, row in enumerate(reader, start=2):
            if None in row:
                raise ConfigError(f"{path}:{line}: more fields than header columns")
            out.append(dict(row))
        return out


def load_manifest(path: str | Path, *, require: tuple[str, ...] = ()) -> list[ManifestItem]:
    """Read a user manifest: TSV, CSV or JSONL with ``id, text | audio, reference,
    language, label`` columns (any subset; ``require`` names the ones a task needs).

    Raises:
        ConfigError: the file is missing or malformed, a required column is absent or
            empty, an id repeats, or an audio file does not exist.
    """
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"manifest {path} does not exist")
    rows = _manifest_rows(path)
    items: list[ManifestItem] = []
    seen: set[str] = set()
    for number, row in enumerate(rows, start=1):
        values = {str(k).strip().lower(): "" if v is None else str(v) for k, v in row.items()}
        if "audio" not in values and "path" in values:
            values["audio"] = values["path"]
        for column in require:
            if not values.get(column, "").strip():
                raise ConfigError(f"{path}: row {number} has no {column!r} value")
        item_id = values.get("id", "").strip() or f"row-{number}"
        if item_id in seen:
            raise ConfigError(f"{path}: id {item_id!r} appears twice")
        seen.add(item_id)
        audio_path = None
        if values.get("audio", "").strip():
            audio_path = (path.parent / values["audio"].strip()).resolve()
            if not audio_path.is_file():
                raise ConfigError(f"{path}: row {number}: audio file {audio_path} does not exist")
        raw_language = values.get("language", "").strip()
        language = normalize_language(raw_language) if raw_language else None
        if raw_language and language is None:
            raise ConfigError(f"{path}: row {number}: unknown language {raw_language!r}")
        items.append(
            ManifestItem(
                id=item_id,
                text=values.get("text", ""),
                audio_path=audio_path,
                reference=values.get("reference", ""),
                language=language,
                label=values.get("label", "").strip(),
                extra={k: v for k, v in values.items() if k not in _KNOWN_COLUMNS},
            )
        )
    return items


def fingerprint_files(paths: Iterable[str | Path]) -> dict[str, Any]:
    """SHA-256 over the named files (sorted by path, name and content): a dataset id.
    A folder stands for every file below it."""
    digest = hashlib.sha256()
    expanded: set[str] = set()
    for raw in paths:
        path = Path(raw).resolve()
        if path.is_dir():
            expanded.update(str(child) for child in path.rglob("*") if child.is_file())
        else:
            expanded.add(str(path))
    files = sorted(expanded)
    total = 0
    for name in files:
        data = Path(name).read_bytes()
        total += len(data)
        digest.update(Path(name).name.encode())
        digest.update(hashlib.sha256(data).digest())
    return {"sha256": digest.hexdigest(), "files": len(files), "bytes": total}


# -- langid-lingua ------------------------------------------------------------------------------

LANGID_CATEGORIES = ("single-words", "word-pairs", "sentences")
LANGID_LANGUAGES = tuple("ar cs de en es fa fr hi id it ja ko nl pl pt ro ru sv tr uk vi zh".split())


def langid_split_of(category: str, language: str, text: str) -> str:
    """``train`` for about 30 % of items (sha1 bucket < 3 of 10), else ``test``."""
    value = int(hashlib.sha1(f"{category}/{language}/{text}".encode()).hexdigest(), 16)
    return "train" if value % 10 < 3 else "test"


@dataclass(frozen=True, slots=True)
class TextItem:
    """A labelled text: input, gold label, a group (category or length bucket)."""

    id: str
    text: str
    label: str
    group: str = ""
    previous: str | None = None


def load_langid_lingua(
    data_dir: str | Path, split: str = "test", limit: int | None = None
) -> tuple[list[TextItem], list[Path]]:
    """``<data>/langid-lingua/<category>/<lang>.txt`` items and the files read.

    ``limit`` keeps at most ``limit`` items per category, spread evenly over languages.
    """
    root = Path(data_dir)
    folder = root / "langid-lingua" if (root / "langid-lingua").is_dir() else root
    if not (folder / LANGID_CATEGORIES[0]).is_dir():
        raise ConfigError(f"no langid-lingua data under {data_dir}")
    items: list[TextItem] = []
    files: list[Path] = []
    for category in LANGID_CATEGORIES:
        share = None if limit is None else max(1, limit // len(LANGID_LANGUAGES))
        for language in LANGID_LANGUAGES:
            path = folder / category / f"{language}.txt"
            files.append(path)
            lines = [t.strip() for t in path.read_text(encoding="utf-8").splitlines() if t.strip()]
            if split != "all":
                lines = [t for t in lines if langid_split_of(category, language, t) == split]
            for number, text in enumerate(lines[:share]):
                items.append(TextItem(f"{category}/{language}/{number}", text, language, category))
    return items, files


# -- OneStopEnglish -----------------------------------------------------------------------------

ONESTOP = "readability-onestopenglish"
_ONESTOP_PAIR_FILES = ("ADV-ELE.tsv", "ADV-INT.tsv", "ELE-INT.tsv")
_ONESTOP_COLUMN_LEVEL = {"ele_sentence": 0, "int_sentence": 1, "adv_sentence": 2}
_ONESTOP_HEADERS = {"elementary", "intermediate", "advanced", ""}


@dataclass(frozen=True, slots=True)
class LevelText:
    topic: str
    label: int
    text: str


@dataclass(frozen=True, slots=True)
class SentencePair:
    """An aligned pair: ``harder`` (level ``harder_label``) rewritten as ``easier``."""

    topic: str
    kind: str
    harder_label: int
    easier_label: int
    harder: str
    easier: str


def onestop_dir(data_dir: str | Path) -> Path:
    path = Path(data_dir)
    if (path / ONESTOP).is_dir():
        path = path / ONESTOP
    if not (path / "manifest.tsv").is_file() or not (path / "sentence-aligned").is_dir():
        raise ConfigError(f"no {ONESTOP} data under {data_dir}")
    return path


def _read_level_text(path: Path) -> str:
    lines = path.read_bytes().decode("utf-8", errors="replace").lstrip("\ufeff").splitlines()
    while lines and lines[0].strip().lower() in _ONESTOP_HEADERS:
        lines.pop(0)
    return "\n".join(line.strip() for line in lines if line.strip())


def onestop_split(topics: Iterable[str]) -> dict[str, list[str]]:
    """Topics ordered by sha256(name), cut 55 / 15 / 30 % into train / dev / test."""
    ordered = sorted(set(topics), key=lambda topic: hashlib.sha256(topic.encode()).hexdigest())
    n_train, n_dev = round(len(ordered) * 0.55), round(len(ordered) * 0.15)
    return {
        "train": sorted(ordered[:n_train]),
        "dev": sorted(ordered[n_train : n_train + n_dev]),
        "test": sorted(ordered[n_train + n_dev :]),
    }


def load_onestop(
    data_dir: str | Path, split: str = "test"
) -> tuple[list[LevelText], list[SentencePair], list[Path]]:
    """Texts and aligned pairs of one split (``all`` for every topic), and the files read."""
    root = onestop_dir(data_dir)
    files = [root / "manifest.tsv"]
    rows: list[tuple[str, int, Path]] = []
    with (root / "manifest.tsv").open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle, delimiter="\t"):
            rows.append((row["topic"], int(row["label"]), root / row["path"]))
    pairs: list[SentencePair] = []
    for name in _ONESTOP_PAIR_FILES:
        path = root / "sentence-aligned" / name
        files.append(path)
        with path.open(encoding="utf-8", newline="") as handle:
            reader = csv.reader(handle, delimiter="\t", quoting=csv.QUOTE_NONE)
            header = next(reader)
            levels = [_ONESTOP_COLUMN_LEVEL[column] for column in header[1:3]]
            for fields in reader:
                if len(fields) < 3:
                    continue
                first, second = (fields[1], levels[0]), (fields[2], levels[1])
                harder, easier = (first, second) if first[1] > second[1] else (second, first)
                pairs.append(SentencePair(fields[0], name.removesuffix(".tsv"), harder[1], easier[1],
                                          harder[0], easier[0]))
    keep = None if split == "all" else set(onestop_split(topic for topic, _, _ in rows)[split])
    selected: list[LevelText] = []
    for topic, label, path in rows:
        if keep is None or topic in keep:
            files.append(path)
            selected.append(LevelText(topic, label, _read_level_text(path)))
    pairs = [pair for pair in pairs if keep is None or pair.topic in keep]
    return selected, pairs, files


# -- clarification requests ---------------------------------------------------------------------

CLARIFICATION = "clarification-requests"
CLINC_FILE = "clinc150_repeat_vs_other.jsonl"
SWDA_FILE = "swda_signal_non_understanding_train_convs.jsonl"
_CLARIFICATION_SEED = 20261128
_POSITIVE = "clarification_request"


def _read_jsonl(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def _swda_previous_turn(row: Mapping[str, Any]) -> str | None:
    parts: list[str] = []
    for key in ("prev2", "prev1"):
        speaker, sep, text = str(row.get(key) or "").partition(":")
        if sep and speaker.strip() and speaker.strip() != row.get("speaker") and text.strip():
            parts.append(text.strip())
    return " ".join(parts) if parts else None


def load_clarification(
    data_dir: str | Path, split: str = "test", subset: str = "all"
) -> tuple[list[TextItem], list[Path]]:
    """CLINC ``repeat`` vs rest and SwDA ``br`` rows (label ``1``/``0``), one split part.

    The split is the benchmarks' (``train_confusion.make_split``): CLINC stratified by label
    (40 % test), SwDA by conversation (50 % test), numpy seed 20261128. ``subset`` is
    ``clinc``, ``swda`` or ``all``; ``split`` is ``test``, ``train`` or ``all``.
    """
    import numpy as np

    root = Path(data_dir)
    folder = root / CLARIFICATION if (root / CLARIFICATION).is_dir() else root
    if not (folder / CLINC_FILE).is_file():
        raise ConfigError(f"no {CLARIFICATION} data under {data_dir}")
    rng = np.random.default_rng(_CLARIFICATION_SEED)
    clinc = _read_jsonl(folder / CLINC_FILE)
    clinc_test: set[int] = set()
    for label in (_POSITIVE, "other"):
        indices = [i for i, row in enumerate(clinc) if row["label"] == label]
        clinc_test |= {int(i) for i in rng.permutation(indices)[: round(len(indices) * 0.4)]}
    swda = _read_jsonl(folder / SWDA_FILE)
    conversations = sorted({str(row["conv"]) for row in swda})
    swda_test = {str(c) for c in rng.permutation(conversations)[: round(len(conversations) * 0.5)]}
    items: list[TextItem] = []
    files: list[Path] = []
    if subset in ("clinc", "all"):
        files.append(folder / CLINC_FILE)
        for i, row in enumerate(clinc):
            if split == "all" or (i in clinc_test) == (split == "test"):
                items.append(TextItem(f"clinc:{i}", row["text"], str(int(row["label"] == _POSITIVE)), "clinc"))
    if subset in ("swda", "all"):
        files.append(folder / SWDA_FILE)
        for row in swda:
            if split == "all" or (str(row["conv"]) in swda_test) == (split == "test"):
                items.append(TextItem(f"swda:{row['conv']}:{row['idx']}", row["text"],
                                      str(int(row["label"] == _POSITIVE)), "swda", _swda_previous_turn(row)))
    if subset not in ("clinc", "swda", "all"):
        raise ConfigError(f"subset {subset!r}: choose clinc, swda or all")
    return items, files


# -- translation test sets ----------------------------------------------------------------------

TRANSLATION = "translation-testsets"
_ISO3 = {"eng": "en", "spa": "es", "deu": "de", "fra": "fr", "pol": "pl", "zho": "zh"}


def load_translation_set(
    data_dir: str | Path, pair: str = "en-es", testset: str = "tatoeba"
) -> tuple[list[tuple[str, str]], list[Path]]:
    """(source, reference) sentence pairs of ``pair`` (``en-es``) from ``tatoeba``,
    ``flores`` or ``newstest`` under ``<data>/translation-testsets``, and the files read."""
    root = Path(data_dir)
    folder = root / TRANSLATION if (root / TRANSLATION).is_dir() else root
    source, _, target = pair.partition("-")
    to3 = {v: k for k, v in _ISO3.items()}
    s3, t3 = to3.get(source), to3.get(target)
    if not s3 or not t3:
        raise ConfigError(f"translation pair {pair!r}: use two of {sorted(to3)}")
    candidates: list[tuple[Path, Path]] = []
    if testset == "flores":
        sub = folder / "flores200-devtest"
        candidates = [(p, q) for p in sub.glob(f"{s3}_*.txt") for q in sub.glob(f"{t3}_*.txt")]
    elif testset == "tatoeba":
        sub = folder / "tatoeba-test-v2021-08-07"
        for a, b in ((s3, t3), (t3, s3)):
            candidates.append((sub / f"{a}-{b}.{s3}", sub / f"{a}-{b}.{t3}"))
    elif testset == "newstest":
        sub = folder / "wmt-newstest"
        candidates = [(p, p.with_suffix(f".{t3}")) for p in sorted(sub.glob(f"newstest*.{s3}-{t3}.{s3}"))]
    else:
        raise ConfigError(f"testset {testset!r}: choose tatoeba, flores or newstest")
    for src_path, ref_path in candidates:
        if src_path.is_file() and ref_path.is_file():
            sources = src_path.read_text(encoding="utf-8").splitlines()
            references = ref_path.read_text(encoding="utf-8").splitlines()
            if len(sources) != len(references):
                raise ConfigError(f"{src_path} and {ref_path} differ in length")
            return list(zip(sources, references, strict=True)), [src_path, ref_path]
    raise ConfigError(f"no {testset} files for {pair} under {folder}")


def accent_speaker(clip_id: str, speaker_l1: str, accented: bool) -> tuple[str, str]:
    """The speaker id and group of a clip of speech-en-accented / speech-en-native.

    speechocean762 names the speaker and age in ``speaker_l1`` (age >= 18: adult); one
    Earnings-22 excerpt is one speaker; LibriSpeech clips carry the reader id; FLEURS
    clips have no speaker id, so each counts as its own speaker. The accent split
    (``benchmarks/splits/accent-split.json``) is by these speakers.
    """
    if clip_id.startswith("speechocean762"):
        speaker = re.search(r"spk(\d+)", speaker_l1)
        age = re.search(r"age (\d+)", speaker_l1)
        if speaker is None or age is None:
            raise ConfigError(f"{clip_id}: no speaker/age in {speaker_l1!r}")
        group = "so762-adult" if int(age.group(1)) >= 18 else "so762-child"
        return f"so762-spk{speaker.group(1)}", group
    if clip_id.startswith("earnings22"):
        return clip_id, "earnings22"
    if clip_id.startswith("librispeech"):
        return f"librispeech-{clip_id.split('-')[3]}", "librispeech"
    if clip_id.startswith("fleurs-en"):
        return clip_id, "fleurs-en"
    if clip_id == "jfk":
        return "jfk", "jfk"
    if accented:
        raise ConfigError(f"unknown accented clip {clip_id}")
    return clip_id, "other-native"


AUDIO_SUFFIXES = (".wav", ".flac", ".mp3", ".ogg", ".opus", ".m4a")


def is_audio_folder(path: str | Path) -> bool:
    """A folder of recordings with sidecar texts (no ``manifest.tsv``)."""
    path = Path(path)
    return path.is_dir() and not (path / "manifest.tsv").is_file() and any(
        child.suffix.lower() in AUDIO_SUFFIXES for child in path.iterdir()
    )


def load_audio_folder(path: str | Path) -> list[ManifestItem]:
    """Every recording in ``path`` with its sidecar: ``call.wav`` + ``call.txt`` (the
    reference). An optional ``call.lang`` holds the language code; an optional
    ``call.label`` a label (e.g. 1 accented, 0 native). Recordings without a ``.txt``
    are skipped.
    """
    folder = Path(path)
    items: list[ManifestItem] = []
    for audio in sorted(child for child in folder.iterdir() if child.suffix.lower() in AUDIO_SUFFIXES):
        reference = audio.with_suffix(".txt")
        if not reference.is_file():
            continue
        language_file = audio.with_suffix(".lang")
        label_file = audio.with_suffix(".label")
        language = language_file.read_text(encoding="utf-8").strip() if language_file.is_file() else ""
        items.append(ManifestItem(
            id=audio.stem,
            audio_path=audio.resolve(),
            reference=reference.read_text(encoding="utf-8").strip(),
            language=normalize_language(language) if language else None,
            label=label_file.read_text(encoding="utf-8").strip() if label_file.is_file() else "",
        ))
    if not items:
        raise ConfigError(f"{folder}: no recording with a .txt sidecar")
    return items
