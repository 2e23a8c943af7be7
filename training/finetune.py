"""Fine-tune the encoder end to end for token classification (all layers), with torch on CPU.

Whole articles go through overlapping sub-word windows (enrich/token_windows.py, the same code
that serves the model); each word's first sub-word carries its BIO label, the rest are ignored.
The case of each word rides in token_type_ids (4 types), since the encoder is uncased. Training
runs in phases, each a list of (examples, epochs): silver first, then gold mixed with silver.
"""

from __future__ import annotations

import json
import math
import random
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from enrich.token_windows import CASE_TYPES, Tokens, first_subwords, make_tokens, windows_for
from training.corpus import Span

LABELS = ["O", "B-PER", "I-PER", "B-ORG", "I-ORG", "B-LOC", "I-LOC", "B-MISC", "I-MISC"]
IGNORE = -100


@dataclass(frozen=True)
class Example:
    text: str
    spans: tuple[Span, ...]


@dataclass(frozen=True)
class TrainWindow:
    input_ids: np.ndarray
    token_type_ids: np.ndarray
    labels: np.ndarray


def tokenize(tokenizer: Any, text: str) -> Tokens:
    enc = tokenizer.encode(text, add_special_tokens=False)
    return make_tokens(text, enc.ids, enc.offsets, enc.word_ids)


def word_labels(tokens: Tokens, spans: Sequence[Span]) -> np.ndarray:
    """BIO label ids on each word's first sub-word, IGNORE elsewhere."""
    labels = np.full(len(tokens.ids), IGNORE, dtype=np.int64)
    first = first_subwords(tokens.word_ids)
    ordered = sorted(spans, key=lambda s: s.start)
    j = 0
    for i in np.flatnonzero(first).tolist():
        start = int(tokens.offsets[i, 0])
        while j < len(ordered) and ordered[j].end <= start:
            j += 1
        label = "O"
        if j < len(ordered) and ordered[j].start <= start < ordered[j].end:
            prefix = "B-" if start == ordered[j].start else "I-"
            label = prefix + ordered[j].type
        labels[i] = LABELS.index(label)
    return labels


def training_windows(
    tokenizer: Any, examples: Sequence[Example], size: int, stride: int
) -> list[TrainWindow]:
    cls_id, sep_id = tokenizer.token_to_id("[CLS]"), tokenizer.token_to_id("[SEP]")
    out = []
    for n, ex in enumerate(examples):
        tokens = tokenize(tokenizer, ex.text)
        if not len(tokens.ids):
            continue
        labels = word_labels(tokens, ex.spans)
        for w in windows_for(tokens, n, size, stride, cls_id, sep_id):
            lab = np.concatenate([[IGNORE], labels[w.start : w.start + size], [IGNORE]])
            out.append(TrainWindow(w.input_ids, w.token_type_ids, lab.astype(np.int64)))
    return out


def load_examples(path: Path) -> list[Example]:
    out = []
    for line in path.read_text().splitlines():
        row = json.loads(line)
        out.append(Example(row["text"], tuple(Span(*s) for s in row["spans"])))
    return out


def build_model(base_dir: Path) -> Any:
    import torch
    from transformers import AutoConfig, AutoModelForTokenClassification

    config = AutoConfig.from_pretrained(
        base_dir,
        num_labels=len(LABELS),
        id2label=dict(enumerate(LABELS)),
        label2id={label: i for i, label in enumerate(LABELS)},
    )
    model = AutoModelForTokenClassification.from_pretrained(base_dir, config=config)
    old = model.base_model.embeddings.token_type_embeddings
    new = torch.nn.Embedding(CASE_TYPES, old.embedding_dim)
    with torch.no_grad():
        new.weight[:] = old.weight[0]  # pretraining only ever saw type 0
    model.base_model.embeddings.token_type_embeddings = new
    model.config.type_vocab_size = CASE_TYPES
    model.config.newswire_case_token_types = True
    return model


def _batches(windows: Sequence[TrainWindow], batch: int, rng: random.Random) -> list[list[int]]:
    order = list(range(len(windows)))
    rng.shuffle(order)
    return [order[i : i + batch] for i in range(0, len(order), batch)]


def _collate(windows: Sequence[TrainWindow]) -> dict[str, Any]:
    import torch

    longest = max(len(w.input_ids) for w in windows)
    n = len(windows)
    ids = torch.zeros((n, longest), dtype=torch.long)
    types = torch.zeros((n, longest), dtype=torch.long)
    mask = torch.zeros((n, longest), dtype=torch.long)
    labels = torch.full((n, longest), IGNORE, dtype=torch.long)
    for i, w in enumerate(windows):
        k = len(w.input_ids)
        ids[i, :k] = torch.from_numpy(w.input_ids)
        types[i, :k] = torch.from_numpy(w.token_type_ids)
        mask[i, :k] = 1
        labels[i, :k] = torch.from_numpy(w.labels)
    return {"input_ids": ids, "token_type_ids": types, "attention_mask": mask, "labels": labels}


def train(
    model: Any,
    windows: Sequence[TrainWindow],
    epochs: float,
    lr: float,
    batch: int = 16,
    seed: int = 13,
    log_every: int = 50,
) -> dict[str, Any]:
    import torch

    torch.manual_seed(seed)
    rng = random.Random(seed)
    plan: list[list[int]] = []
    for _ in range(math.ceil(epochs)):
        plan.extend(_batches(windows, batch, rng))
    plan = plan[: int(len(plan) * epochs / math.ceil(epochs))]
    optimizer = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.01)
    warmup = max(1, len(plan) // 20)
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer,
        lambda step: min((step + 1) / warmup, max(0.0, (len(plan) - step) / (len(plan) - warmup))),
    )
    model.train()
    started = time.time()
    losses = []
    for step, indices in enumerate(plan):
        inputs = _collate([windows[i] for i in indices])
        loss = model(**inputs).loss
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        scheduler.step()
        optimizer.zero_grad()
        losses.append(float(loss))
        if log_every and (step + 1) % log_every == 0:
            rate = (step + 1) * batch / (time.time() - started)
            print(
                f"step {step + 1}/{len(plan)} loss {np.mean(losses[-log_every:]):.4f} "
                f"({rate:.1f} windows/s)",
                flush=True,
            )
    model.eval()
    return {
        "steps": len(plan),
        "seconds": round(time.time() - started, 1),
        "final_loss": losses[-1],
    }
