"""From per-word BIO probabilities to entity mentions with exact character offsets.

Shared by every token classifier newswire serves (its own ONNX model and a user's Hugging Face
checkpoint): a Viterbi path under the BIO constraints (no I-X after O or after another type),
then B-X I-X* runs as mentions, trimmed the CoNLL way.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from enrich.token_windows import Tokens, first_subwords
from schemas.enrichment import EntityMention

FloatArray = npt.NDArray[np.float32]
WordSpan = tuple[int, int, str]  # first word, last word exclusive, type


def softmax(logits: FloatArray) -> FloatArray:
    e = np.exp(logits - logits.max(axis=-1, keepdims=True))
    return (e / e.sum(axis=-1, keepdims=True)).astype(np.float32)


def allowed_transitions(labels: Sequence[str]) -> npt.NDArray[np.bool_]:
    """allowed[i, j]: label j may follow label i."""
    allowed = np.ones((len(labels), len(labels)), dtype=bool)
    for j, to in enumerate(labels):
        if to.startswith("I-"):
            for i, frm in enumerate(labels):
                allowed[i, j] = frm[2:] == to[2:] and frm != "O"
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


def spans(tags: Sequence[str]) -> list[WordSpan]:
    """(first word, last word exclusive, type) for each B-X I-X* run."""
    out: list[WordSpan] = []
    start = -1
    kind = ""
    for i, tag in enumerate([*tags, "O"]):
        if start >= 0 and not (tag.startswith("I-") and tag[2:] == kind):
            out.append((start, i, kind))
            start = -1
        if tag.startswith("B-") or (tag.startswith("I-") and start < 0):
            start, kind = i, tag[2:]
    return out


def _has_alnum(text: str) -> bool:
    return any(c.isalnum() for c in text)


# Words that join the parts of a name ("Bank of England", "Ministry of Labour, Invalids and
# Social Affairs") and so never end one. Only as written, in lower case: "Andrew Do", "Anh Le"
# and "Lean In" end on names, not connectors.
CONNECTORS = frozenset(
    "of for and & to the on in at de du des del della der van von la le da do dos y".split()
)
# Connectors after which the model's own doubt is enough to join the next name: "Federal Reserve
# Bank of" + "Boston". Between names joined by "and" it must rather believe the name goes on
# ("JetBlue and Frontier" are two companies).
_NAME_INTERNAL = frozenset("of for to de du des del della der van von da do dos".split())
_JOIN_DOUBT, _JOIN_BELIEF = 0.05, 0.5
# A compass word alone before "and" shares the next name's head: "Central and Eastern Europe",
# "North and South Korea" are one mention (the corpus guidelines, v1.3), not a stray "Central".
_COMPASS = frozenset(
    "north south east west northern southern eastern western central upper lower northeast "
    "northwest southeast southwest north-east north-west south-east south-west".split()
)
_COORDINATORS = frozenset(["and", "or", "&"])


def _loose_end(word: str) -> bool:
    return word in CONNECTORS or not _has_alnum(word)


def _is_compass(words: Sequence[str]) -> bool:
    return all(w.lower() in _COMPASS for w in words)


def _joined(
    head: WordSpan,
    tail: WordSpan,
    words: Sequence[str],
    word_probs: FloatArray,
    labels: Sequence[str],
) -> WordSpan | None:
    """The one name that `head` and the `tail` right after it make, if they make one."""
    (head_lo, head_hi, head_kind), (lo, hi, kind) = head, tail
    if head_kind == "PER" or lo - head_hi not in (0, 1):
        return None
    if next((w for w in words[head_lo:lo] if w.lower() != "the"), "")[:1].islower():
        return None
    connector = words[lo - 1]
    going_on = float(word_probs[lo, labels.index("I-" + head_kind)])
    inside = head_hi == lo  # the connector ends the head rather than sitting between the two
    if (inside and connector in _NAME_INTERNAL and going_on >= _JOIN_DOUBT) or (
        connector in CONNECTORS and going_on >= _JOIN_BELIEF
    ):
        return head_lo, hi, head_kind
    if (
        not inside
        and connector in _COORDINATORS
        and _is_compass(words[head_lo:head_hi])
        and not _is_compass(words[lo:hi])
    ):
        return head_lo, hi, kind  # typed as the name whose head it shares
    return None


def join_connected(
    found: Sequence[WordSpan],
    words: Sequence[str],
    word_probs: FloatArray,
    labels: Sequence[str],
) -> list[WordSpan]:
    """A name that ends on a connector continues into a name on the next word when the model
    gives that word some chance of continuing it ("Central Reserve Bank of" + "El Salvador" is
    one ORG, typed as its head); connectors and punctuation left at the end of a name are
    dropped ("Tigst Assefa of" is "Tigst Assefa"), and a name that is nothing else goes. Over a
    connector outside both names, a name continues only where the model believes it does
    ("Bosnia and Herzegovina") or where it is a lone compass word ("Central and Eastern
    Europe", typed as the second). People's names never continue ("Tigst Assefa of
    Ethiopia")."""
    out: list[WordSpan] = []
    for span in found:
        joined = _joined(out[-1], span, words, word_probs, labels) if out else None
        if joined:
            out[-1] = joined
        else:
            out.append(span)
    trimmed = []
    for lo, hi, kind in out:
        while hi > lo and _loose_end(words[hi - 1]):
            hi -= 1
        if hi > lo:
            trimmed.append((lo, hi, kind))
    return trimmed


def decode_mentions(
    text: str, tokens: Tokens, probs: FloatArray, labels: Sequence[str]
) -> list[EntityMention]:
    """Mentions from sub-word probabilities: each word is judged by its first sub-word."""
    first = np.flatnonzero(first_subwords(tokens.word_ids))
    if not len(first):
        return []
    ends: dict[int, int] = {}
    for (_, end), w in zip(tokens.offsets.tolist(), tokens.word_ids.tolist(), strict=True):
        ends[w] = max(ends.get(w, 0), end)
    word_probs = probs[first]
    path = viterbi(word_probs, labels)
    tags = [labels[j] for j in path]
    word_start = tokens.offsets[first, 0].tolist()
    word_end = [ends[w] for w in tokens.word_ids[first].tolist()]
    # A name never runs over a line break: lists of names one per line, a title and the first
    # line of the body, would otherwise join into one mention.
    for k in range(1, len(tags)):
        if tags[k].startswith("I-") and "\n" in text[word_end[k - 1] : word_start[k]]:
            tags[k] = "B-" + tags[k][2:]
    words = [text[a:b] for a, b in zip(word_start, word_end, strict=True)]
    mentions = []
    for lo, hi, kind in join_connected(spans(tags), words, word_probs, labels):
        # CoNLL spans leave out a leading "the" and never start on punctuation (the end was
        # trimmed by join_connected).
        while lo < hi and (words[lo].lower() == "the" or not _has_alnum(words[lo])):
            lo += 1
        if lo == hi:
            continue
        start, end = word_start[lo], word_end[hi - 1]
        score = float(np.mean([word_probs[k, path[k]] for k in range(lo, hi)]))
        mentions.append(EntityMention(text[start:end], kind, start, end, round(score, 4)))
    return mentions
