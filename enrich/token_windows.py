"""Whole articles through a fixed-size encoder: sub-word windows with overlap, and back again.

The same functions prepare training windows (training/finetune.py) and serving windows
(enrich/transformer_ner.py), so the model sees at run time exactly what it was trained on:
uncased sub-words plus a case type per word, carried in `token_type_ids` (the encoder is
uncased; "parliament" and "Parliament" would otherwise look the same to it).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

# token_type_ids: the case of the word a sub-word belongs to.
NO_LETTERS, LOWER, CAPITALISED, ALL_CAPS = 0, 1, 2, 3
CASE_TYPES = 4


def case_type(word: str) -> int:
    letters = [c for c in word if c.isalpha()]
    if not letters:
        return NO_LETTERS
    if len(letters) > 1 and all(c.isupper() for c in letters):
        return ALL_CAPS
    return CAPITALISED if letters[0].isupper() else LOWER


@dataclass(frozen=True)
class Tokens:
    """One text's sub-words (no special tokens), with character offsets and word numbers."""

    ids: np.ndarray  # int64 [n]
    offsets: np.ndarray  # int64 [n, 2]
    word_ids: np.ndarray  # int64 [n]; sub-words of one pre-tokenised word share a number
    case_types: np.ndarray  # int64 [n]


def word_spans(offsets: np.ndarray, word_ids: np.ndarray) -> dict[int, tuple[int, int]]:
    spans: dict[int, tuple[int, int]] = {}
    for (start, end), w in zip(offsets.tolist(), word_ids.tolist(), strict=True):
        s, e = spans.get(w, (start, end))
        spans[w] = (min(s, start), max(e, end))
    return spans


def case_types_for(text: str, offsets: np.ndarray, word_ids: np.ndarray) -> np.ndarray:
    spans = word_spans(offsets, word_ids)
    kinds = {w: case_type(text[s:e]) for w, (s, e) in spans.items()}
    return np.array([kinds[w] for w in word_ids.tolist()], dtype=np.int64)


def make_tokens(
    text: str,
    ids: Sequence[int],
    offsets: Sequence[tuple[int, int]],
    word_ids: Sequence[int | None],
    case_types: bool = True,
) -> Tokens:
    """Tokens from a tokenizer's output for `text` (no special tokens), with case types."""
    offset_array = np.array(offsets, dtype=np.int64).reshape(-1, 2)
    word_array = np.array([-1 if w is None else w for w in word_ids], dtype=np.int64)
    types = (
        case_types_for(text, offset_array, word_array)
        if case_types
        else np.zeros(len(word_array), dtype=np.int64)
    )
    return Tokens(np.array(ids, dtype=np.int64), offset_array, word_array, types)


def first_subwords(word_ids: np.ndarray) -> np.ndarray:
    """Mask of sub-words that start a word (the ones that carry a word's label)."""
    first = np.ones(len(word_ids), dtype=bool)
    first[1:] = word_ids[1:] != word_ids[:-1]
    return first


def window_starts(n: int, size: int, stride: int) -> list[int]:
    """Starts of windows of `size` sub-words covering n, neighbours overlapping by `stride`."""
    if n <= size:
        return [0]
    step = size - stride
    starts = list(range(0, n - size, step))
    starts.append(n - size)
    return starts


def owner_ranges(starts: Sequence[int], n: int, size: int) -> list[tuple[int, int]]:
    """For each window, the sub-words whose prediction it gives: overlaps are cut in the middle,
    so every sub-word is judged by the window where it has the most context on both sides."""
    ranges = []
    for k, start in enumerate(starts):
        end = min(start + size, n)
        lo = start if k == 0 else (start + min(starts[k - 1] + size, n)) // 2
        hi = end if k == len(starts) - 1 else (starts[k + 1] + end) // 2
        ranges.append((lo, hi))
    return ranges


@dataclass(frozen=True)
class Window:
    text_index: int
    start: int  # first sub-word of the text in this window
    input_ids: np.ndarray  # with [CLS] ... [SEP]
    token_type_ids: np.ndarray


def windows_for(
    tokens: Tokens, text_index: int, size: int, stride: int, cls_id: int, sep_id: int
) -> list[Window]:
    out = []
    for start in window_starts(len(tokens.ids), size, stride):
        stop = start + size
        ids = np.concatenate([[cls_id], tokens.ids[start:stop], [sep_id]]).astype(np.int64)
        types = np.concatenate([[0], tokens.case_types[start:stop], [0]]).astype(np.int64)
        out.append(Window(text_index, start, ids, types))
    return out


def pad_batch(windows: Sequence[Window], pad_id: int = 0) -> dict[str, np.ndarray]:
    longest = max(len(w.input_ids) for w in windows)
    ids = np.full((len(windows), longest), pad_id, dtype=np.int64)
    types = np.zeros((len(windows), longest), dtype=np.int64)
    mask = np.zeros((len(windows), longest), dtype=np.int64)
    for i, w in enumerate(windows):
        ids[i, : len(w.input_ids)] = w.input_ids
        types[i, : len(w.input_ids)] = w.token_type_ids
        mask[i, : len(w.input_ids)] = 1
    return {"input_ids": ids, "attention_mask": mask, "token_type_ids": types}
