"""From word probabilities to mentions: BIO constraints and exact offsets."""

import itertools

import numpy as np

from enrich.bio import decode_mentions, spans, viterbi
from enrich.token_windows import Tokens

LABELS = ("O", "B-PER", "I-PER", "B-ORG", "I-ORG", "B-LOC", "I-LOC", "B-MISC", "I-MISC")


def onehot(labels: list[str], confidence: float = 0.9) -> np.ndarray:
    p = np.full((len(labels), len(LABELS)), (1 - confidence) / (len(LABELS) - 1), np.float32)
    for i, label in enumerate(labels):
        p[i, LABELS.index(label)] = confidence
    return p


def test_viterbi_never_starts_a_mention_with_i() -> None:
    probs = onehot(["O", "I-PER", "I-PER"], confidence=0.5)
    tags = [LABELS[i] for i in viterbi(probs, LABELS)]
    assert tags[1] != "I-PER" or tags[0] in ("B-PER", "I-PER")


def test_spans_join_b_and_following_i_of_the_same_type() -> None:
    assert spans(["B-PER", "I-PER", "O", "B-LOC", "B-LOC", "I-ORG"]) == [
        (0, 2, "PER"),
        (3, 4, "LOC"),
        (4, 5, "LOC"),
        (5, 6, "ORG"),
    ]


def tokens_for(text: str, words: list[tuple[int, int]], pieces: list[int]) -> Tokens:
    """Sub-words: each word split into `pieces` parts (at least one character each)."""
    offsets, word_ids = [], []
    for w, ((start, end), k) in enumerate(zip(words, pieces, strict=True)):
        cuts = np.linspace(start, end, k + 1).astype(int)
        for a, b in itertools.pairwise(cuts):
            offsets.append([a, b])
            word_ids.append(w)
    n = len(offsets)
    return Tokens(np.arange(n), np.array(offsets), np.array(word_ids), np.zeros(n, np.int64))


def test_mentions_have_exact_offsets_and_drop_a_leading_the_and_punctuation() -> None:
    text = "The European Union met Xi Jinping ."
    words = [(0, 3), (4, 12), (13, 18), (19, 22), (23, 25), (26, 33), (34, 35)]
    tokens = tokens_for(text, words, [1, 2, 1, 1, 1, 3, 1])
    word_labels = ["B-ORG", "I-ORG", "I-ORG", "O", "B-PER", "I-PER", "I-PER"]
    per_subword = []
    for w, label in enumerate(word_labels):
        k = int((tokens.word_ids == w).sum())
        # Only a word's first sub-word counts: later pieces say something else on purpose.
        per_subword += [label] + ["B-LOC"] * (k - 1)
    mentions = decode_mentions(text, tokens, onehot(per_subword), LABELS)
    assert [(m.text, m.type, m.start, m.end) for m in mentions] == [
        ("European Union", "ORG", 4, 18),
        ("Xi Jinping", "PER", 23, 33),
    ]
    for m in mentions:
        assert text[m.start : m.end] == m.text
