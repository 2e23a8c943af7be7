"""A sentence encoder run with onnxruntime: pooled vectors for zero-shot topics.

Tokenisation and batching are plain functions around one batched model call (the transformers
pipeline shape: preprocess -> forward -> postprocess). Batches are padded to their own longest
sequence, never to a fixed length, and sorted by length so little compute goes to padding.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
import onnxruntime as ort
from tokenizers import Encoding, Tokenizer

FloatArray = npt.NDArray[np.float32]


@dataclass(frozen=True)
class EncoderConfig:
    model_path: Path
    tokenizer_path: Path
    max_tokens: int = 256
    batch_tokens: int = 8192
    threads: int = 0  # 0: onnxruntime decides (all cores)


class OnnxEncoder:
    """One ONNX encoder session, safe to share between threads (onnxruntime sessions are)."""

    def __init__(self, config: EncoderConfig) -> None:
        self.config = config
        options = ort.SessionOptions()
        if config.threads:
            options.intra_op_num_threads = config.threads
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        self.session = ort.InferenceSession(
            str(config.model_path), sess_options=options, providers=["CPUExecutionProvider"]
        )
        self.input_names = {i.name for i in self.session.get_inputs()}
        self.tokenizer = Tokenizer.from_file(str(config.tokenizer_path))
        self.tokenizer.no_padding()
        self.tokenizer.enable_truncation(config.max_tokens)
        self.hidden_size = int(self.session.get_outputs()[0].shape[-1])

    # -- preprocess ------------------------------------------------------------------------

    def encode_texts(self, texts: Sequence[str]) -> list[Encoding]:
        return self.tokenizer.encode_batch(list(texts))

    def _batches(self, encodings: Sequence[Encoding]) -> list[list[int]]:
        """Index batches, longest first, each within the token budget once padded."""
        order = sorted(range(len(encodings)), key=lambda i: -len(encodings[i].ids))
        batches: list[list[int]] = []
        current: list[int] = []
        for index in order:
            width = len(encodings[current[0]].ids) if current else len(encodings[index].ids)
            if current and width * (len(current) + 1) > self.config.batch_tokens:
                batches.append(current)
                current = []
            current.append(index)
        if current:
            batches.append(current)
        return batches

    # -- forward ---------------------------------------------------------------------------

    def _forward(self, encodings: Sequence[Encoding]) -> FloatArray:
        width = max(len(e.ids) for e in encodings)
        ids = np.zeros((len(encodings), width), dtype=np.int64)
        mask = np.zeros_like(ids)
        for row, encoding in enumerate(encodings):
            n = len(encoding.ids)
            ids[row, :n] = encoding.ids
            mask[row, :n] = 1
        feeds = {"input_ids": ids, "attention_mask": mask}
        if "token_type_ids" in self.input_names:
            feeds["token_type_ids"] = np.zeros_like(ids)
        (states,) = self.session.run(None, feeds)[:1]
        return np.asarray(states, dtype=np.float32)

    # -- postprocess -----------------------------------------------------------------------

    def embed(self, texts: Sequence[str]) -> FloatArray:
        """Mean-pooled, L2-normalised sentence embeddings (the sentence-transformers recipe)."""
        encodings = self.encode_texts(texts)
        out = np.zeros((len(texts), self.hidden_size), dtype=np.float32)
        for batch in self._batches(encodings):
            states = self._forward([encodings[i] for i in batch])
            for row, index in enumerate(batch):
                n = len(encodings[index].ids)
                out[index] = states[row, :n].mean(axis=0)
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.maximum(norms, 1e-12)
