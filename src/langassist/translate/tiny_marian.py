"""A tiny, randomly initialised Marian model built locally, for tests and benchmarks.

No translation weights can be downloaded here, so the CTranslate2 and transformers
backends are exercised with a model built on the spot: a sentencepiece vocabulary
trained on a few sentences, a small ``MarianMTModel`` with random weights, and the
``MarianTokenizer`` files, saved with ``save_pretrained`` exactly like an OPUS-MT
checkpoint. Loading, conversion (``ctranslate2.converters.TransformersConverter``),
batching and tokenization are then the real code paths; the output is meaningless
text, which is what protected-term handling must survive.

Needs ``torch``, ``transformers`` and ``sentencepiece`` (``langassist[torch]``).
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from langassist.errors import BackendUnavailable

__all__ = ["TINY_CORPUS", "build_tiny_marian"]

TINY_CORPUS: tuple[str, ...] = (
    "Hello, thank you for calling. How can I help you today?",
    "Please turn the router off, wait ten seconds, and turn it on again.",
    "Your order has been sent and it will arrive in two days.",
    "Could you repeat that more slowly, please?",
    "We will call you back within 24 hours.",
    "Hola, gracias por llamar. ¿En qué puedo ayudarle hoy?",
    "Por favor, apague el router, espere diez segundos y vuelva a encenderlo.",
    "Su pedido ha sido enviado y llegará en dos días.",
    "¿Podría repetirlo más despacio, por favor?",
    "Le devolveremos la llamada en un plazo de 24 horas.",
    "The refund of 12.50 euros goes to your account ending 4417.",
    "Your reference number is ZXQ0 and the code is ZXQ1.",
)


def build_tiny_marian(
    directory: str | Path,
    *,
    corpus: Sequence[str] = TINY_CORPUS,
    vocab_size: int = 160,
    d_model: int = 64,
    layers: int = 2,
    heads: int = 4,
    ffn_dim: int = 128,
    max_positions: int = 256,
    pad_vocab_to: int | None = None,
    seed: int = 0,
) -> Path:
    """Write a tiny random Marian model directory (Hugging Face layout) and return it.

    Args:
        directory: where to write (created).
        corpus: sentences the shared sentencepiece vocabulary is trained on.
        vocab_size: sentencepiece pieces (the model adds ``<pad>``).
        d_model / layers / heads / ffn_dim / max_positions: model size.
        pad_vocab_to: grow the model vocabulary to this many entries with unused
            ``<extra_i>`` tokens, so that the embedding and output projection have a
            real model's shape (OPUS-MT en-de has 58101) while the sentencepiece model
            stays tiny. Benchmarks use it; the extra tokens are never produced by the
            tokenizer, only (at random) by the random decoder.
        seed: torch seed for the random weights.

    Raises:
        BackendUnavailable: torch, transformers or sentencepiece is missing.
    """
    try:
        import sentencepiece
        import torch
        import transformers
    except ModuleNotFoundError as exc:
        raise BackendUnavailable(
            f"building the tiny Marian model needs {exc.name!r}: "
            "pip install 'langassist[torch]' -c constraints.txt"
        ) from exc
    out = Path(directory)
    out.mkdir(parents=True, exist_ok=True)
    prefix = out / "spm"
    sentencepiece.SentencePieceTrainer.train(
        sentence_iterator=iter(list(corpus) * 4),
        model_prefix=str(prefix),
        vocab_size=vocab_size,
        model_type="unigram",
        character_coverage=1.0,
        hard_vocab_limit=False,
        user_defined_symbols=["ZXQ"],
        unk_id=1, eos_id=0, bos_id=-1, pad_id=-1,
        unk_piece="<unk>", eos_piece="</s>",
        minloglevel=2,
        num_threads=1,
    )
    model_bytes = (out / "spm.model").read_bytes()
    (out / "source.spm").write_bytes(model_bytes)
    (out / "target.spm").write_bytes(model_bytes)
    (out / "spm.model").unlink()
    (out / "spm.vocab").unlink()
    processor = sentencepiece.SentencePieceProcessor(model_file=str(out / "source.spm"))
    vocab = {processor.id_to_piece(index): index for index in range(processor.get_piece_size())}
    if pad_vocab_to is not None:
        for extra in range(pad_vocab_to - len(vocab) - 1):
            vocab[f"<extra_{extra}>"] = len(vocab)
    pad_id = len(vocab)
    vocab["<pad>"] = pad_id
    (out / "vocab.json").write_text(json.dumps(vocab, ensure_ascii=False), encoding="utf-8")
    options: dict[str, Any] = dict(
        vocab_size=len(vocab),
        d_model=d_model,
        encoder_layers=layers,
        decoder_layers=layers,
        encoder_attention_heads=heads,
        decoder_attention_heads=heads,
        encoder_ffn_dim=ffn_dim,
        decoder_ffn_dim=ffn_dim,
        max_position_embeddings=max_positions,
        pad_token_id=pad_id,
        eos_token_id=0,
        decoder_start_token_id=pad_id,
        forced_eos_token_id=0,
        bad_words_ids=[[pad_id]],
        scale_embedding=True,
        share_encoder_decoder_embeddings=True,
        activation_function="swish",
    )
    config = transformers.MarianConfig(**options)
    torch.manual_seed(seed)
    model: Any = transformers.MarianMTModel(config)
    model.eval()
    model.save_pretrained(str(out))
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*sacremoses.*")
        tokenizer = transformers.MarianTokenizer(
            source_spm=str(out / "source.spm"),
            target_spm=str(out / "target.spm"),
            vocab=str(out / "vocab.json"),
            separate_vocabs=False,
            model_max_length=max_positions,
        )
        tokenizer.save_pretrained(str(out))
    return out
