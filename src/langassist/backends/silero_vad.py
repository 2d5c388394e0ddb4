"""Silero VAD, streamed: faster-whisper's bundled ONNX model, one frame state per track.

``faster_whisper.vad.get_speech_timestamps`` runs the model over a whole file; here the
same model (``faster_whisper.vad.get_vad_model()``, 512-sample frames with 64 samples of
context and the recurrent state ``h``/``c``) is run on each new block of frames while
the state is carried over, so a stream gets exactly the probabilities the whole file
would get. Needs ``onnxruntime`` (a faster-whisper dependency); nothing is downloaded.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from langassist.errors import BackendError, BackendUnavailable

__all__ = ["SileroVad"]

_FRAME = 512
_CONTEXT = 64


class SileroVad:
    """:class:`~langassist.backends.base.VoiceActivityDetector` over Silero VAD v6.

    Args:
        model: a loaded ``faster_whisper.vad.SileroVADModel`` to share between tracks
            (default: faster-whisper's cached instance).
    """

    name = "silero"
    frame_samples = _FRAME

    def __init__(self, model: Any | None = None) -> None:
        if model is None:
            try:
                from faster_whisper.vad import get_vad_model
            except ModuleNotFoundError as exc:  # pragma: no cover - core dependency
                raise BackendUnavailable(
                    "the Silero VAD needs faster-whisper: pip install faster-whisper"
                ) from exc
            try:
                model = get_vad_model()
            except RuntimeError as exc:
                raise BackendUnavailable(f"Silero VAD unavailable: {exc}") from exc
        self._session = model.session
        self.reset()

    def reset(self) -> None:
        self._h = np.zeros((1, 1, 128), dtype=np.float32)
        self._c = np.zeros((1, 1, 128), dtype=np.float32)
        self._context = np.zeros(_CONTEXT, dtype=np.float32)
        self._pending = np.zeros(0, dtype=np.float32)

    def probabilities(self, samples: np.ndarray) -> np.ndarray:
        block = np.concatenate([self._pending, np.asarray(samples, dtype=np.float32).reshape(-1)])
        count = block.size // _FRAME
        self._pending = block[count * _FRAME:].copy()
        if count == 0:
            return np.zeros(0, dtype=np.float32)
        frames = block[: count * _FRAME].reshape(count, _FRAME)
        contexts = np.concatenate([self._context[np.newaxis, :], frames[:-1, -_CONTEXT:]], axis=0)
        batch = np.ascontiguousarray(np.concatenate([contexts, frames], axis=1))
        try:
            output, self._h, self._c = self._session.run(
                None, {"input": batch, "h": self._h, "c": self._c}
            )
        except Exception as exc:  # onnxruntime raises its own exception types
            raise BackendError(f"Silero VAD failed: {exc}") from exc
        self._context = frames[-1, -_CONTEXT:].copy()
        return np.asarray(output, dtype=np.float32).reshape(-1)[:count]
