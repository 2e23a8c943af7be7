"""Bring your own model: any Hugging Face token-classification checkpoint, run with transformers.

A hub id or a local directory (`--ner-model`). The checkpoint's labels are mapped to CoNLL's
four types (PERSON -> PER, GPE -> LOC, NORP -> MISC, ...; types that have no CoNLL counterpart,
such as DATE or MONEY, are dropped), its BIO/BILOU/IO prefixes normalised to BIO. The text goes
through the same overlapping windows and the same decoding as newswire's own model
(enrich/transformer_ner.py), so offsets are exact and long articles are read whole. torch is an
optional extra (`pip install newswire[hf]`); the default, shipped model never needs it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

from enrich.bio import decode_mentions, softmax
from enrich.conll_types import TO_CONLL
from enrich.token_windows import Tokens, make_tokens, owner_ranges, window_starts, windows_for
from schemas.enrichment import EntityMention

CONLL_LABELS = ("O", "B-PER", "I-PER", "B-ORG", "I-ORG", "B-LOC", "I-LOC", "B-MISC", "I-MISC")
_PREFIX = re.compile(r"^(?P<prefix>[BIELUS])[-_](?P<type>.+)$")


class UnsupportedModel(ValueError):
    """The checkpoint is not a token classifier newswire can map to CoNLL types."""


def conll_label(label: str) -> str:
    """A checkpoint's label as one of CONLL_LABELS ("O" for types with no CoNLL counterpart)."""
    if label.upper() in ("O", "OUTSIDE"):
        return "O"
    m = _PREFIX.match(label.upper())
    prefix, kind = (m["prefix"], m["type"]) if m else ("I", label.upper())
    mapped = TO_CONLL.get(kind)
    if mapped is None:
        return "O"
    # BILOU: Begin/Unit start a mention, Inside/Last continue it; IO's bare types continue.
    return ("B-" if prefix in ("B", "U", "S") else "I-") + mapped


def label_matrix(id2label: dict[int, str]) -> np.ndarray:
    """[model labels, CoNLL labels] 0/1 matrix: probabilities of labels that map together add."""
    m = np.zeros((len(id2label), len(CONLL_LABELS)), dtype=np.float32)
    for i, label in id2label.items():
        m[int(i), CONLL_LABELS.index(conll_label(label))] = 1.0
    return m


class HfTokenClassifier:
    """A transformers token-classification model on CPU, behind the same interface as
    TransformerNer (`extract_batch`)."""

    def __init__(self, name_or_path: str, threads: int = 0, window: int = 256, stride: int = 64):
        try:
            import torch
            from transformers import AutoModelForTokenClassification, AutoTokenizer
        except ImportError as exc:  # pragma: no cover - depends on the installed extras
            raise UnsupportedModel(
                "--ner-model needs torch and transformers: pip install 'newswire[hf]'"
            ) from exc
        if threads:
            torch.set_num_threads(threads)
        self.torch = torch
        self.tokenizer = AutoTokenizer.from_pretrained(name_or_path)
        self.tokenizer.model_max_length = 10**9  # whole articles, windowed here
        if not getattr(self.tokenizer, "is_fast", False):
            raise UnsupportedModel(f"{name_or_path}: needs a fast tokenizer (for offsets)")
        self.model = AutoModelForTokenClassification.from_pretrained(name_or_path).eval()
        config = self.model.config
        self.mapping = label_matrix({int(k): v for k, v in config.id2label.items()})
        if not self.mapping[:, 1:].any():
            raise UnsupportedModel(f"{name_or_path}: none of its labels maps to PER/ORG/LOC/MISC")
        self.case_types = bool(getattr(config, "newswire_case_token_types", False))
        limit = int(getattr(config, "max_position_embeddings", 512))
        # A checkpoint fine-tuned on shorter windows says so (newswire's does); others get the
        # default, within their position limit.
        window = int(getattr(config, "newswire_window", window))
        self.size = min(window, limit) - 2
        self.stride = int(getattr(config, "newswire_stride", stride))
        cls_id = self.tokenizer.cls_token_id or self.tokenizer.bos_token_id
        sep_id = self.tokenizer.sep_token_id or self.tokenizer.eos_token_id
        if cls_id is None or sep_id is None:
            raise UnsupportedModel(f"{name_or_path}: tokenizer has no start/end tokens")
        self.cls_id, self.sep_id = int(cls_id), int(sep_id)
        self.name = f"hf:{name_or_path}"

    def _tokens(self, text: str) -> Tokens:
        enc = self.tokenizer(text, add_special_tokens=False, return_offsets_mapping=True)
        return make_tokens(
            text, enc["input_ids"], enc["offset_mapping"], enc.word_ids(), self.case_types
        )

    def _probabilities(self, tokens: Tokens) -> np.ndarray:
        torch = self.torch
        windows = windows_for(tokens, 0, self.size, self.stride, self.cls_id, self.sep_id)
        n = len(tokens.ids)
        ranges = owner_ranges(window_starts(n, self.size, self.stride), n, self.size)
        probs = np.zeros((n, len(CONLL_LABELS)), dtype=np.float32)
        for w, (lo, hi) in zip(windows, ranges, strict=True):
            inputs = {
                "input_ids": torch.from_numpy(w.input_ids[None]),
                "attention_mask": torch.ones((1, len(w.input_ids)), dtype=torch.long),
            }
            if self.case_types:
                inputs["token_type_ids"] = torch.from_numpy(w.token_type_ids[None])
            with torch.no_grad():
                logits = self.model(**inputs).logits[0, 1:-1].float().numpy()
            probs[lo:hi] = (softmax(logits) @ self.mapping)[lo - w.start : hi - w.start]
        return probs

    def extract_batch(self, texts: Sequence[str]) -> list[list[EntityMention]]:
        out: list[list[EntityMention]] = []
        for text in texts:
            tokens = self._tokens(text)
            if not len(tokens.ids):
                out.append([])
                continue
            out.append(decode_mentions(text, tokens, self._probabilities(tokens), CONLL_LABELS))
        return out
