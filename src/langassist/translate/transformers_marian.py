"""Reference backend: Marian (OPUS-MT) models on transformers and torch.

Slower than CTranslate2 on CPU; kept to check that a conversion translates like the
original and to measure the speed ratio on the same model. It loads a local model
directory only (``local_files_only``), never the hub.

Needs ``pip install 'langassist[torch]' -c constraints.txt``.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from langassist.errors import BackendError, BackendUnavailable, ConfigError, ModelUnavailable
from langassist.events import LanguageCode, normalize_language
from langassist.translate.base import translate_nonempty

__all__ = ["TransformersMarianTranslator", "create_translator"]


class TransformersMarianTranslator:
    """Translate with ``MarianMTModel.generate``.

    Args:
        model_dir: a local Hugging Face Marian model directory.
        source / target: the model's language pair.
        beam_size: 1 for greedy decoding.
        batch_size: most sentences per ``generate`` call.
        max_new_tokens / min_new_tokens: decoding length bounds.
        cpu_threads: torch intra-op threads, set while translating and restored after;
            ``None`` leaves torch's setting alone.
    """

    name = "transformers"

    def __init__(
        self,
        model_dir: str | Path,
        *,
        source: str,
        target: str,
        beam_size: int = 2,
        batch_size: int = 16,
        max_new_tokens: int = 256,
        min_new_tokens: int = 0,
        cpu_threads: int | None = None,
    ) -> None:
        self.model_dir = Path(model_dir)
        if not (self.model_dir / "config.json").is_file():
            raise ModelUnavailable(f"{self.model_dir} is not a Hugging Face model directory")
        src, tgt = normalize_language(source), normalize_language(target)
        if src is None or tgt is None:
            raise ConfigError(f"unknown language pair {source!r}->{target!r}")
        self.source, self.target = src, tgt
        self.beam_size = beam_size
        self.batch_size = batch_size
        self.max_new_tokens = max_new_tokens
        self.min_new_tokens = min_new_tokens
        self.cpu_threads = cpu_threads
        try:
            import torch
            import transformers
        except ModuleNotFoundError as exc:
            raise BackendUnavailable(
                f"the transformers translation backend needs {exc.name!r}: "
                "pip install 'langassist[torch]' -c constraints.txt"
            ) from exc
        self._torch = torch
        try:
            with warnings.catch_warnings():
                warnings.filterwarnings("ignore", message=".*sacremoses.*")
                self._tokenizer: Any = transformers.AutoTokenizer.from_pretrained(
                    str(self.model_dir), local_files_only=True
                )
            self._model: Any = transformers.AutoModelForSeq2SeqLM.from_pretrained(
                str(self.model_dir), local_files_only=True
            )
        except (OSError, ValueError) as exc:
            raise BackendError(f"cannot load the Marian model in {self.model_dir}: {exc}") from exc
        self._model.eval()

    def supports(self, source: LanguageCode, target: LanguageCode) -> bool:
        return (source, target) == (self.source, self.target)

    def translate(
        self, texts: Sequence[str], *, source: LanguageCode, target: LanguageCode
    ) -> list[str]:
        if not self.supports(source, target):
            raise ConfigError(
                f"the model in {self.model_dir} serves {self.source}->{self.target}, "
                f"not {source}->{target}"
            )
        torch = self._torch
        previous_threads = torch.get_num_threads()
        if self.cpu_threads is not None:
            torch.set_num_threads(self.cpu_threads)
        try:
            return translate_nonempty(texts, self._translate_batches)
        except (RuntimeError, ValueError) as exc:
            raise BackendError(f"transformers translation failed: {exc}") from exc
        finally:
            if self.cpu_threads is not None:
                torch.set_num_threads(previous_threads)

    def _translate_batches(self, texts: list[str]) -> list[str]:
        torch = self._torch
        results: list[str] = []
        for offset in range(0, len(texts), self.batch_size):
            encoded = self._tokenizer(
                texts[offset:offset + self.batch_size],
                return_tensors="pt", padding=True, truncation=True, max_length=512,
            )
            with torch.inference_mode():
                generated = self._model.generate(
                    **encoded,
                    num_beams=self.beam_size,
                    max_new_tokens=self.max_new_tokens,
                    min_new_tokens=self.min_new_tokens,
                    do_sample=False,
                )
            decoded = self._tokenizer.batch_decode(generated, skip_special_tokens=True)
            results.extend(text.strip() for text in decoded)
        return results


def create_translator(
    model_dir: str | Path,
    *,
    source: str,
    target: str,
    beam_size: int = 2,
    batch_size: int = 16,
    max_decoding_length: int = 256,
    cpu_threads: int | None = None,
) -> TransformersMarianTranslator:
    """Factory used by the router."""
    return TransformersMarianTranslator(
        model_dir, source=source, target=target, beam_size=beam_size,
        batch_size=batch_size, max_new_tokens=max_decoding_length, cpu_threads=cpu_threads,
    )
