"""newswire's fine-tuned transformer, served with onnxruntime: entities and a document vector
from one encoder pass over each article.

preprocess: the whole text -> sub-words with offsets -> overlapping windows (token_windows.py);
forward: one batched ONNX call per group of windows (BIO logits and hidden states);
postprocess: each sub-word judged by the window where it sits most centrally, each word by its
first sub-word, a BIO-constrained Viterbi path over the words, mentions with exact character
offsets. The document vector (mean hidden state of the title and lead, and of the whole text)
feeds the trained topic classifier, so topics cost no second pass.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt
import onnxruntime as ort
from tokenizers import Tokenizer

from enrich.bio import decode_mentions, softmax
from enrich.token_windows import (
    Tokens,
    Window,
    make_tokens,
    owner_ranges,
    pad_batch,
    window_starts,
    windows_for,
)
from schemas.enrichment import EntityMention

FloatArray = npt.NDArray[np.float32]
LEAD_WINDOWS = 1


@dataclass(frozen=True)
class ModelCard:
    """What a model directory says about itself (model.json)."""

    name: str
    version: str
    labels: tuple[str, ...]
    window: int
    stride: int
    case_token_types: bool
    onnx_file: str

    @classmethod
    def load(cls, directory: Path, onnx_file: str | None = None) -> ModelCard:
        raw = json.loads((directory / "model.json").read_text())
        return cls(
            raw["name"],
            raw["version"],
            tuple(raw["labels"]),
            int(raw["window"]),
            int(raw["stride"]),
            bool(raw.get("case_token_types", True)),
            onnx_file or raw["onnx"],
        )


@dataclass(frozen=True)
class Analysis:
    mentions: list[EntityMention]
    doc_vector: FloatArray


class TransformerNer:
    """One ONNX session and tokenizer; thread-safe (onnxruntime sessions are)."""

    def __init__(
        self,
        directory: Path,
        onnx_file: str | None = None,
        threads: int = 0,
        batch_windows: int = 16,
    ) -> None:
        self.card = ModelCard.load(directory, onnx_file)
        options = ort.SessionOptions()
        if threads:
            options.intra_op_num_threads = threads
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        self.session = ort.InferenceSession(
            str(directory / self.card.onnx_file),
            sess_options=options,
            providers=["CPUExecutionProvider"],
        )
        self.tokenizer = Tokenizer.from_file(str(directory / "tokenizer.json"))
        self.tokenizer.no_padding()
        self.tokenizer.no_truncation()
        cls_id, sep_id = self.tokenizer.token_to_id("[CLS]"), self.tokenizer.token_to_id("[SEP]")
        if cls_id is None or sep_id is None:
            raise ValueError(f"{directory}: the tokenizer has no [CLS]/[SEP] tokens")
        self.cls_id, self.sep_id = cls_id, sep_id
        self.batch_windows = batch_windows
        self.size = self.card.window - 2

    @property
    def name(self) -> str:
        precision = "int8" if "int8" in self.card.onnx_file else "fp32"
        return f"{self.card.name}@{self.card.version}:{precision}"

    # -- preprocess ------------------------------------------------------------------------

    def tokens(self, text: str) -> Tokens:
        enc = self.tokenizer.encode(text, add_special_tokens=False)
        return make_tokens(text, enc.ids, enc.offsets, enc.word_ids, self.card.case_token_types)

    # -- forward ---------------------------------------------------------------------------

    def _run(self, windows: Sequence[Window]) -> list[tuple[FloatArray, FloatArray]]:
        """(logits, hidden) per window, batched by similar length."""
        out: list[tuple[FloatArray, FloatArray]] = [None] * len(windows)  # type: ignore[list-item]
        order = sorted(range(len(windows)), key=lambda i: -len(windows[i].input_ids))
        for b in range(0, len(order), self.batch_windows):
            chunk = order[b : b + self.batch_windows]
            feeds = pad_batch([windows[i] for i in chunk])
            logits, hidden = self.session.run(["logits", "hidden"], feeds)
            for row, i in enumerate(chunk):
                n = len(windows[i].input_ids)
                out[i] = (logits[row, 1 : n - 1], hidden[row, 1 : n - 1])
        return out

    # -- postprocess -----------------------------------------------------------------------

    def analyse_batch(self, texts: Sequence[str]) -> list[Analysis]:
        all_tokens = [self.tokens(t) for t in texts]
        windows: list[Window] = []
        for i, tokens in enumerate(all_tokens):
            if len(tokens.ids):
                windows.extend(
                    windows_for(tokens, i, self.size, self.card.stride, self.cls_id, self.sep_id)
                )
        results = self._run(windows) if windows else []
        per_text: dict[int, list[tuple[Window, FloatArray, FloatArray]]] = {}
        for w, (logits, hidden) in zip(windows, results, strict=True):
            per_text.setdefault(w.text_index, []).append((w, logits, hidden))
        hidden_size = results[0][1].shape[-1] if results else 0
        out = []
        for i, text in enumerate(texts):
            parts = per_text.get(i, [])
            if not parts:
                out.append(Analysis([], np.zeros(2 * max(hidden_size, 1), dtype=np.float32)))
                continue
            out.append(self._postprocess(text, all_tokens[i], parts))
        return out

    def _postprocess(
        self, text: str, tokens: Tokens, parts: list[tuple[Window, FloatArray, FloatArray]]
    ) -> Analysis:
        n = len(tokens.ids)
        starts = window_starts(n, self.size, self.card.stride)
        ranges = owner_ranges(starts, n, self.size)
        logits = np.zeros((n, len(self.card.labels)), dtype=np.float32)
        hidden = np.zeros((n, parts[0][2].shape[-1]), dtype=np.float32)
        for (w, lg, hd), (lo, hi) in zip(parts, ranges, strict=True):
            logits[lo:hi] = lg[lo - w.start : hi - w.start]
            hidden[lo:hi] = hd[lo - w.start : hi - w.start]
        lead = hidden[: min(n, self.size * LEAD_WINDOWS)].mean(axis=0)
        doc_vector = np.concatenate([lead, hidden.mean(axis=0)]).astype(np.float32)
        return Analysis(
            decode_mentions(text, tokens, softmax(logits), self.card.labels), doc_vector
        )

    def extract_batch(self, texts: Sequence[str]) -> list[list[EntityMention]]:
        return [a.mentions for a in self.analyse_batch(texts)]
