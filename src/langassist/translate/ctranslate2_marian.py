"""CTranslate2 backend for OPUS-MT (Marian) and NLLB translation models.

Two steps:

1. :func:`convert_translation_model` turns a Hugging Face model (a hub id such as
   ``Helsinki-NLP/opus-mt-en-de`` when online, or a local directory saved with
   ``save_pretrained``) into a CTranslate2 directory, quantized (``int8`` by default),
   with the sentencepiece files next to it and a sidecar
   ``langassist-translation.json`` recording the family, the language pair, the origin
   and the SHA-256 of ``model.bin``. Conversion needs ``transformers`` and ``torch``
   (``pip install 'langassist[torch]' -c constraints.txt``); running does not.
2. :class:`CTranslate2Translator` loads that directory and translates batches:
   sentencepiece splits each text into pieces, CTranslate2 decodes the batch, and
   sentencepiece joins the target pieces back into text.

No neural MT weights can be installed offline here; the code paths are exercised in the
tests with a tiny randomly initialised Marian model and a sentencepiece vocabulary
trained in the test.
"""

from __future__ import annotations

import hashlib
import json
import logging
import re
import warnings
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

from langassist.errors import (
    BackendError,
    BackendUnavailable,
    ConfigError,
    ModelIntegrityError,
    ModelUnavailable,
)
from langassist.events import LanguageCode, normalize_language
from langassist.translate.base import translate_nonempty

__all__ = [
    "INFO_FILE",
    "NLLB_CODES",
    "CTranslate2Translator",
    "TranslationModelInfo",
    "convert_translation_model",
    "create_translator",
    "ensure_converted",
    "read_model_info",
    "sha256_file",
]

logger = logging.getLogger(__name__)

INFO_FILE = "langassist-translation.json"
Family = Literal["marian", "nllb"]

# ISO 639-1 to the FLORES-200 codes NLLB uses as language tokens.
NLLB_CODES: dict[str, str] = {
    "en": "eng_Latn", "es": "spa_Latn", "de": "deu_Latn", "fr": "fra_Latn",
    "pl": "pol_Latn", "pt": "por_Latn", "it": "ita_Latn", "nl": "nld_Latn",
    "tr": "tur_Latn", "zh": "zho_Hans", "ja": "jpn_Jpan", "ko": "kor_Hang",
    "ru": "rus_Cyrl", "uk": "ukr_Cyrl", "ar": "arb_Arab", "cs": "ces_Latn",
    "hi": "hin_Deva", "id": "ind_Latn", "ro": "ron_Latn", "sv": "swe_Latn",
    "vi": "vie_Latn", "ca": "cat_Latn", "fa": "pes_Arab", "el": "ell_Grek",
    "hu": "hun_Latn", "da": "dan_Latn", "fi": "fin_Latn", "he": "heb_Hebr",
}
_MARIAN_FILES = ("source.spm", "target.spm")
_NLLB_FILES = ("sentencepiece.bpe.model",)
_OPUS_NAME_RE = re.compile(r"opus-mt-([a-z]{2,3})-([a-z]{2,3})$", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class TranslationModelInfo:
    """The sidecar written next to a converted model.

    Attributes:
        family: ``marian`` (one pair, ``source.spm``/``target.spm``) or ``nllb``
            (many languages, one ``sentencepiece.bpe.model``, language tokens).
        languages: ``[source, target]`` for Marian; every supported code for NLLB.
        origin: the hub id or directory it was converted from.
        quantization: the CTranslate2 quantization used at conversion.
        model_sha256: checksum of ``model.bin``, verified at load when present.
    """

    family: Family
    languages: tuple[LanguageCode, ...]
    origin: str
    quantization: str
    model_sha256: str | None = None
    files: tuple[str, ...] = field(default=())

    def supports(self, source: LanguageCode, target: LanguageCode) -> bool:
        if source == target:
            return False
        if self.family == "marian":
            return self.languages == (source, target)
        return source in self.languages and target in self.languages


def sha256_file(path: Path) -> str:
    """Hex SHA-256 of a file, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def read_model_info(model_dir: str | Path) -> TranslationModelInfo:
    """Read the sidecar of a converted model directory."""
    path = Path(model_dir) / INFO_FILE
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return TranslationModelInfo(
            family=data["family"],
            languages=tuple(data["languages"]),
            origin=str(data.get("origin", "")),
            quantization=str(data.get("quantization", "")),
            model_sha256=data.get("model_sha256"),
            files=tuple(data.get("files", ())),
        )
    except FileNotFoundError as exc:
        raise ModelUnavailable(
            f"{model_dir} has no {INFO_FILE}: convert the model with "
            "langassist.translate.ctranslate2_marian.convert_translation_model "
            "(or `langassist models pull`)"
        ) from exc
    except (KeyError, TypeError, ValueError) as exc:
        raise ModelUnavailable(f"{path} is not a valid translation model sidecar: {exc}") from exc


def _infer_pair(model: str, source: str | None, target: str | None) -> tuple[str, str]:
    if source is None or target is None:
        match = _OPUS_NAME_RE.search(model.rstrip("/"))
        if match:
            source = source or match.group(1)
            target = target or match.group(2)
    src = normalize_language(source)
    tgt = normalize_language(target)
    if src is None or tgt is None:
        raise ConfigError(
            f"cannot tell the language pair of {model!r}: pass source and target "
            "(e.g. source='en', target='de')"
        )
    return src, tgt


def convert_translation_model(
    model: str | Path,
    output_dir: str | Path,
    *,
    source: str | None = None,
    target: str | None = None,
    quantization: str = "int8",
    allow_download: bool = False,
    force: bool = False,
) -> TranslationModelInfo:
    """Convert a Marian or NLLB model to a CTranslate2 directory with a sidecar.

    Args:
        model: a local Hugging Face model directory, or a hub id (only with
            ``allow_download=True``, when online).
        output_dir: where the CTranslate2 model is written.
        source / target: the pair of a Marian model; inferred from ``opus-mt-xx-yy``
            names. Ignored for NLLB, which serves every code in :data:`NLLB_CODES`.
        quantization: CTranslate2 weight quantization (``int8``, ``float32`` ...).
        allow_download: permit fetching a hub id (``models.allow_download``).
        force: overwrite ``output_dir``.

    Raises:
        ModelUnavailable: ``model`` is neither a directory nor allowed to be downloaded.
        BackendUnavailable: ctranslate2, transformers or torch is missing.
        BackendError: the conversion failed.
    """
    model_text = str(model)
    local = Path(model_text).is_dir()
    if not local and not allow_download:
        raise ModelUnavailable(
            f"{model_text!r} is not a local model directory and downloads are off: "
            "set models.allow_download=true (LANGASSIST_MODELS__ALLOW_DOWNLOAD=1) when "
            "online, or pass a directory saved with save_pretrained"
        )
    try:
        import transformers
        from ctranslate2.converters import TransformersConverter
    except ModuleNotFoundError as exc:
        raise BackendUnavailable(
            f"converting a translation model needs {exc.name!r}: "
            "pip install 'langassist[torch]' -c constraints.txt"
        ) from exc
    try:
        config = transformers.AutoConfig.from_pretrained(model_text, local_files_only=local)
    except (OSError, ValueError) as exc:
        raise ModelUnavailable(f"cannot read the model config of {model_text!r}: {exc}") from exc
    model_type = getattr(config, "model_type", "")
    family: Family
    if model_type == "marian":
        family = "marian"
        languages: tuple[str, ...] = _infer_pair(model_text, source, target)
        files: tuple[str, ...] = _MARIAN_FILES
    elif model_type == "m2m_100":
        family = "nllb"
        languages = tuple(sorted(NLLB_CODES))
        files = _NLLB_FILES
    else:
        raise ConfigError(
            f"{model_text!r} is a {model_type!r} model: only Marian (OPUS-MT) and "
            "NLLB models are supported"
        )
    output = Path(output_dir)
    try:
        with warnings.catch_warnings():
            # MarianTokenizer recommends sacremoses, which only matters for its own
            # normalization; the conversion does not use it.
            warnings.filterwarnings("ignore", message=".*sacremoses.*")
            converter = TransformersConverter(model_text, copy_files=list(files))
            converter.convert(str(output), quantization=quantization, force=force)
    except (OSError, ValueError, RuntimeError) as exc:
        raise BackendError(f"conversion of {model_text!r} failed: {exc}") from exc
    info = TranslationModelInfo(
        family=family,
        languages=languages,
        origin=model_text,
        quantization=quantization,
        model_sha256=sha256_file(output / "model.bin"),
        files=files,
    )
    payload = asdict(info)
    payload["languages"] = list(info.languages)
    payload["files"] = list(info.files)
    (output / INFO_FILE).write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")
    logger.info("converted %s to %s (%s, %s)", model_text, output, family, quantization)
    return info


def ensure_converted(
    model_dir: str | Path,
    convert_dir: str | Path,
    *,
    quantization: str = "int8",
    source: str | None = None,
    target: str | None = None,
) -> Path:
    """A CTranslate2 directory for ``model_dir``, converting it once if needed.

    ``model_dir`` is either already converted (it holds :data:`INFO_FILE`), in which case
    it is returned as is, or a Hugging Face Marian/NLLB directory (what ``langassist
    models pull`` downloads from the hub), which is converted into
    ``convert_dir/<name>-<hash>-<quantization>`` on first use and reused afterwards.

    Raises:
        ModelUnavailable: ``model_dir`` is neither layout.
    """
    path = Path(model_dir).expanduser()
    if (path / INFO_FILE).is_file():
        return path
    if not (path / "config.json").is_file():
        raise ModelUnavailable(
            f"{path} is neither a converted CTranslate2 translation model ({INFO_FILE}) "
            "nor a Hugging Face model directory (config.json)"
        )
    digest = hashlib.sha256(str(path.resolve()).encode()).hexdigest()[:12]
    name = re.sub(r"[^\w.-]+", "_", path.name) or "model"
    output = Path(convert_dir).expanduser() / f"{name}-{digest}-{quantization}"
    if (output / INFO_FILE).is_file():
        return output
    output.parent.mkdir(parents=True, exist_ok=True)
    if source is None and target is None:
        match = _OPUS_NAME_RE.search(path.name)
        if match is None:
            # Hub snapshots live in ``.../models--Helsinki-NLP--opus-mt-en-de/snapshots/<rev>``.
            match = next(
                (m for m in (_OPUS_NAME_RE.search(part) for part in path.parts) if m), None
            )
        if match is not None:
            source, target = match.group(1), match.group(2)
    convert_translation_model(
        path, output, source=source, target=target, quantization=quantization, force=True
    )
    return output


class CTranslate2Translator:
    """Translate with a converted Marian or NLLB model on CTranslate2.

    Args:
        model_dir: a directory written by :func:`convert_translation_model`.
        device: ``cpu`` or ``cuda``.
        compute_type: ``int8`` (default, fastest on CPU), ``float32`` ...
        cpu_threads: intra-op threads.
        beam_size: 1 for greedy decoding.
        batch_size: most sentences per decoding batch.
        max_decoding_length: most target tokens per sentence.
        min_decoding_length: fewest target tokens (benchmarks use it to fix the work).
        max_input_tokens: longer inputs are truncated by CTranslate2 (Marian: 512).
        verify_checksum: check ``model.bin`` against the sidecar before loading.
    """

    name = "ctranslate2"

    def __init__(
        self,
        model_dir: str | Path,
        *,
        device: str = "cpu",
        compute_type: str = "int8",
        cpu_threads: int = 2,
        beam_size: int = 2,
        batch_size: int = 16,
        max_decoding_length: int = 256,
        min_decoding_length: int = 0,
        max_input_tokens: int = 512,
        verify_checksum: bool = True,
    ) -> None:
        self.model_dir = Path(model_dir)
        if not (self.model_dir / "model.bin").is_file():
            raise ModelUnavailable(
                f"{self.model_dir} holds no CTranslate2 model.bin: convert a model first "
                "(`langassist models pull NAME` or convert_translation_model)"
            )
        self.info = read_model_info(self.model_dir)
        if verify_checksum and self.info.model_sha256:
            actual = sha256_file(self.model_dir / "model.bin")
            if actual != self.info.model_sha256:
                raise ModelIntegrityError(
                    f"{self.model_dir / 'model.bin'} has SHA-256 {actual}, expected "
                    f"{self.info.model_sha256}: convert or pull the model again"
                )
        self.beam_size = beam_size
        self.batch_size = batch_size
        self.max_decoding_length = max_decoding_length
        self.min_decoding_length = min_decoding_length
        self.max_input_tokens = max_input_tokens
        try:
            import ctranslate2
            import sentencepiece
        except ModuleNotFoundError as exc:
            raise BackendUnavailable(
                f"the CTranslate2 translation backend needs {exc.name!r}: "
                "pip install ctranslate2 sentencepiece"
            ) from exc
        try:
            if self.info.family == "marian":
                self._source_sp = sentencepiece.SentencePieceProcessor(
                    model_file=str(self.model_dir / "source.spm")
                )
                self._target_sp = sentencepiece.SentencePieceProcessor(
                    model_file=str(self.model_dir / "target.spm")
                )
            else:
                self._source_sp = sentencepiece.SentencePieceProcessor(
                    model_file=str(self.model_dir / "sentencepiece.bpe.model")
                )
                self._target_sp = self._source_sp
            self._translator = ctranslate2.Translator(
                str(self.model_dir),
                device=device,
                compute_type=compute_type,
                inter_threads=1,
                intra_threads=cpu_threads,
            )
        except (OSError, RuntimeError, ValueError) as exc:
            raise BackendError(f"cannot load the CTranslate2 model in {self.model_dir}: {exc}") from exc

    @property
    def languages(self) -> tuple[LanguageCode, ...]:
        return self.info.languages

    def supports(self, source: LanguageCode, target: LanguageCode) -> bool:
        return self.info.supports(source, target)

    def tokenize(self, text: str, *, source: LanguageCode) -> list[str]:
        """Source tokens as the model expects them (pieces, end of sentence, NLLB tag)."""
        pieces: list[str] = self._source_sp.encode(" ".join(text.split()), out_type=str)
        pieces = pieces[: max(1, self.max_input_tokens - 2)]
        if self.info.family == "nllb":
            return [NLLB_CODES[source], *pieces, "</s>"]
        return [*pieces, "</s>"]

    def detokenize(self, tokens: Sequence[str], *, target: LanguageCode) -> str:
        """Target text from decoded pieces (drops the NLLB language tag)."""
        pieces = list(tokens)
        if self.info.family == "nllb" and pieces and pieces[0] == NLLB_CODES.get(target):
            pieces = pieces[1:]
        pieces = [piece for piece in pieces if piece not in {"</s>", "<pad>", "<s>"}]
        text: str = self._target_sp.decode(pieces)
        return text.strip()

    def translate(
        self, texts: Sequence[str], *, source: LanguageCode, target: LanguageCode
    ) -> list[str]:
        if not self.supports(source, target):
            raise ConfigError(
                f"the model in {self.model_dir} serves {'/'.join(self.languages)}, "
                f"not {source}->{target}"
            )
        return translate_nonempty(
            texts, lambda batch: self._translate_batch(batch, source=source, target=target)
        )

    def _translate_batch(self, texts: list[str], *, source: LanguageCode, target: LanguageCode) -> list[str]:
        batch = [self.tokenize(text, source=source) for text in texts]
        options: dict[str, Any] = {
            "beam_size": self.beam_size,
            "max_batch_size": self.batch_size,
            "max_decoding_length": self.max_decoding_length,
            "min_decoding_length": self.min_decoding_length,
            "max_input_length": self.max_input_tokens,
        }
        if self.info.family == "nllb":
            options["target_prefix"] = [[NLLB_CODES[target]] for _ in batch]
        try:
            decoded = self._translator.translate_batch(batch, **options)
        except (RuntimeError, ValueError) as exc:
            raise BackendError(f"CTranslate2 translation failed: {exc}") from exc
        return [self.detokenize(result.hypotheses[0], target=target) for result in decoded]


def create_translator(
    model_dir: str | Path,
    *,
    compute_type: str = "int8",
    cpu_threads: int = 2,
    beam_size: int = 2,
    batch_size: int = 16,
    max_decoding_length: int = 256,
) -> CTranslate2Translator:
    """Factory used by the router."""
    return CTranslate2Translator(
        model_dir,
        compute_type=compute_type,
        cpu_threads=cpu_threads,
        beam_size=beam_size,
        batch_size=batch_size,
        max_decoding_length=max_decoding_length,
    )

