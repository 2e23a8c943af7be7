"""The token-classification head over the transformer encoder: features, decoding, training.

Per word, the head sees the encoder's state of its first sub-word, the word's shape (capitalised,
all caps, digits, ...) and its neighbours' shapes (the encoder, all-MiniLM-L6-v2, is uncased:
shape is how "Bush" the person differs from "bush" the plant), and learned embeddings of the
word, its suffix and the words on either side. A small MLP maps these to CoNLL-2003
BIO labels; a constrained Viterbi pass keeps the label sequence valid (no I-ORG after B-PER).
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float32]
LABELS = ("O", "B-PER", "I-PER", "B-ORG", "I-ORG", "B-LOC", "I-LOC", "B-MISC", "I-MISC")
SHAPE_FEATURES = 6


def word_shape(word: str, first: bool) -> list[float]:
    return [
        float(word[:1].isupper()),
        float(len(word) > 1 and word.isupper()),
        float(word.islower()),
        float(any(c.isdigit() for c in word)),
        float(not any(c.isalnum() for c in word)),
        float(first),
    ]


def shape_matrix(words: Sequence[str]) -> FloatArray:
    """Shape of each word and of its left and right neighbours: (n_words, 3 * SHAPE_FEATURES)."""
    n = len(words)
    own = np.array([word_shape(w, i == 0) for i, w in enumerate(words)], dtype=np.float32)
    own = own.reshape(n, SHAPE_FEATURES)
    pad = np.zeros((1, SHAPE_FEATURES), dtype=np.float32)
    left = np.vstack([pad, own[:-1]]) if n else own
    right = np.vstack([own[1:], pad]) if n else own
    return np.hstack([own, left, right])


def features(states: FloatArray, words: Sequence[str]) -> FloatArray:
    return np.hstack([states, shape_matrix(words)]).astype(np.float32)


DEFAULT_BUCKETS = 1 << 15


TABLES = ("word", "suffix", "previous", "next")


def hashed_ids(words: Sequence[str], buckets: int) -> dict[str, npt.NDArray[np.int64]]:
    """Bucket ids, per table, of each word's lowercase form, its last three letters, and the
    words before and after it.

    These act as learned embeddings: the head can remember that "rosatom" is an organisation,
    or that the word after "corporation" usually starts one, where the uncased encoder's
    states alone do not say so.
    """
    lowered = [w.lower() for w in words]
    before = ["<s>", *lowered[:-1]]
    after = [*lowered[1:], "</s>"]

    def ids(prefix: bytes, values: Sequence[str]) -> npt.NDArray[np.int64]:
        return np.array([zlib.crc32(prefix + v.encode()) % buckets for v in values], np.int64)

    return {
        "word": ids(b"w:", lowered),
        "suffix": ids(b"s:", [w[-3:] for w in lowered]),
        "previous": ids(b"p:", before),
        "next": ids(b"n:", after),
    }


@dataclass
class NerHead:
    """features -> hidden (ReLU, plus the hashed embeddings) -> label logits."""

    w1: FloatArray
    b1: FloatArray
    w2: FloatArray
    b2: FloatArray
    tables: dict[str, FloatArray]
    labels: tuple[str, ...] = LABELS
    meta: dict[str, object] = field(default_factory=dict)

    def probabilities(self, x: FloatArray, words: Sequence[str]) -> FloatArray:
        pre = x @ self.w1 + self.b1
        buckets = len(next(iter(self.tables.values())))
        for name, ids in hashed_ids(words, buckets).items():
            pre = pre + self.tables[name][ids]
        return _softmax(np.maximum(pre, 0.0) @ self.w2 + self.b2)

    def save(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        arrays: dict[str, FloatArray] = {"w1": self.w1, "b1": self.b1, "w2": self.w2, "b2": self.b2}
        arrays.update({f"table_{name}": table for name, table in self.tables.items()})
        np.savez(directory / "head.npz", **arrays)  # type: ignore[arg-type]
        (directory / "head.json").write_text(
            json.dumps({"labels": list(self.labels), **self.meta}, indent=2) + "\n"
        )

    @classmethod
    def load(cls, directory: Path) -> NerHead:
        arrays = np.load(directory / "head.npz")
        info = json.loads((directory / "head.json").read_text())
        labels = tuple(info.pop("labels"))
        tables = {name: arrays[f"table_{name}"] for name in TABLES}
        return cls(
            arrays["w1"], arrays["b1"], arrays["w2"], arrays["b2"], tables, labels=labels, meta=info
        )


def _softmax(logits: FloatArray) -> FloatArray:
    shifted = logits - logits.max(axis=-1, keepdims=True)
    exp = np.exp(shifted)
    return (exp / exp.sum(axis=-1, keepdims=True)).astype(np.float32)


def allowed_transitions(labels: Sequence[str]) -> npt.NDArray[np.bool_]:
    """allowed[i, j]: label j may follow label i (I-X only after B-X or I-X)."""
    n = len(labels)
    allowed = np.ones((n, n), dtype=bool)
    for j, to in enumerate(labels):
        if to.startswith("I-"):
            kind = to[2:]
            for i, frm in enumerate(labels):
                allowed[i, j] = frm[2:] == kind and frm != "O"
    return allowed


def viterbi(probs: FloatArray, labels: Sequence[str]) -> list[int]:
    """Most probable label sequence under the BIO constraints."""
    n, k = probs.shape
    if n == 0:
        return []
    log_p = np.log(np.maximum(probs, 1e-9))
    penalty = np.where(allowed_transitions(labels), 0.0, -1e9)
    start_ok = np.array([0.0 if not lab.startswith("I-") else -1e9 for lab in labels])
    score = log_p[0] + start_ok
    back = np.zeros((n, k), dtype=np.int64)
    for t in range(1, n):
        candidates = score[:, None] + penalty
        back[t] = candidates.argmax(axis=0)
        score = candidates.max(axis=0) + log_p[t]
    path = [int(score.argmax())]
    for t in range(n - 1, 0, -1):
        path.append(int(back[t, path[-1]]))
    return path[::-1]


def spans(tags: Sequence[str]) -> list[tuple[int, int, str]]:
    """(first word, last word exclusive, type) for each B-X I-X* run."""
    out: list[tuple[int, int, str]] = []
    start = -1
    kind = ""
    for i, tag in enumerate([*tags, "O"]):
        if start >= 0 and not (tag.startswith("I-") and tag[2:] == kind):
            out.append((start, i, kind))
            start = -1
        if tag.startswith("B-") or (tag.startswith("I-") and start < 0):
            start, kind = i, tag[2:]
    return out


# -------------------------------------------------------------------------------------------
# training


class _Adam:
    """Adam; `sparse_step` updates only the given rows (embedding tables touch few per batch)."""

    def __init__(self, params: dict[str, FloatArray], lr: float) -> None:
        self.lr = lr
        self.m = {name: np.zeros_like(p) for name, p in params.items()}
        self.v = {name: np.zeros_like(p) for name, p in params.items()}
        self.t = 0

    def _delta(self, name: str, grad: FloatArray, rows: npt.NDArray[np.int64] | None) -> FloatArray:
        m, v = self.m[name], self.v[name]
        if rows is None:
            m[...] = 0.9 * m + 0.1 * grad
            v[...] = 0.999 * v + 0.001 * grad * grad
            m_now, v_now = m, v
        else:
            m[rows] = 0.9 * m[rows] + 0.1 * grad
            v[rows] = 0.999 * v[rows] + 0.001 * grad * grad
            m_now, v_now = m[rows], v[rows]
        m_hat = m_now / (1 - 0.9**self.t)
        v_hat = v_now / (1 - 0.999**self.t)
        return (self.lr * m_hat / (np.sqrt(v_hat) + 1e-8)).astype(np.float32)

    def step(self, params: dict[str, FloatArray], grads: dict[str, FloatArray]) -> None:
        for name, grad in grads.items():
            params[name] -= self._delta(name, grad, None)

    def sparse_step(
        self, table: FloatArray, name: str, ids: npt.NDArray[np.int64], grad_rows: FloatArray
    ) -> None:
        rows, inverse = np.unique(ids, return_inverse=True)
        grad = np.zeros((len(rows), table.shape[1]), dtype=np.float32)
        np.add.at(grad, inverse, grad_rows)
        table[rows] -= self._delta(name, grad, rows)


def train(
    x: FloatArray,
    words: Sequence[str],
    y: npt.NDArray[np.int64],
    *,
    hidden: int = 256,
    buckets: int = DEFAULT_BUCKETS,
    epochs: int = 6,
    batch: int = 512,
    lr: float = 2e-3,
    seed: int = 13,
) -> NerHead:
    """Mini-batch Adam on softmax cross-entropy. Deterministic for a given seed and data."""
    rng = np.random.default_rng(seed)
    n, d = x.shape
    k = len(LABELS)
    params = {
        "w1": (rng.standard_normal((d, hidden)) * np.sqrt(2.0 / d)).astype(np.float32),
        "b1": np.zeros(hidden, np.float32),
        "w2": (rng.standard_normal((hidden, k)) * np.sqrt(1.0 / hidden)).astype(np.float32),
        "b2": np.zeros(k, np.float32),
    }
    tables = {name: np.zeros((buckets, hidden), np.float32) for name in TABLES}
    table_ids = hashed_ids(words, buckets)
    adam = _Adam({**params, **{f"table_{n}": t for n, t in tables.items()}}, lr)
    for _epoch in range(epochs):
        order = rng.permutation(n)
        for first in range(0, n, batch):
            idx = order[first : first + batch]
            xb, yb = x[idx], y[idx]
            pre = xb @ params["w1"] + params["b1"]
            for name, table in tables.items():
                pre = pre + table[table_ids[name][idx]]
            h = np.maximum(pre, 0.0)
            probs = _softmax(h @ params["w2"] + params["b2"])
            grad_logits = probs
            grad_logits[np.arange(len(idx)), yb] -= 1.0
            grad_logits /= len(idx)
            grad_pre = (grad_logits @ params["w2"].T) * (pre > 0)
            adam.t += 1
            adam.step(
                params,
                {
                    "w2": h.T @ grad_logits,
                    "b2": grad_logits.sum(axis=0),
                    "w1": xb.T @ grad_pre,
                    "b1": grad_pre.sum(axis=0),
                },
            )
            for name, table in tables.items():
                adam.sparse_step(table, f"table_{name}", table_ids[name][idx], grad_pre)
    return NerHead(params["w1"], params["b1"], params["w2"], params["b2"], tables)
