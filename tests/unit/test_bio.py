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


def test_a_name_never_runs_over_a_line_break() -> None:
    text = "World Bank\nEuropean Commission"
    words = [(0, 5), (6, 10), (11, 19), (20, 30)]
    tokens = tokens_for(text, words, [1, 1, 1, 1])
    mentions = decode_mentions(text, tokens, onehot(["B-ORG", "I-ORG", "I-ORG", "I-ORG"]), LABELS)
    assert [m.text for m in mentions] == ["World Bank", "European Commission"]


def test_a_name_that_ends_on_a_connector_continues_into_the_next_name() -> None:
    text = "Central Reserve Bank of El Salvador said"
    words = [(0, 7), (8, 15), (16, 20), (21, 23), (24, 26), (27, 35), (36, 40)]
    tokens = tokens_for(text, words, [1] * 7)
    tags = ["B-ORG", "I-ORG", "I-ORG", "I-ORG", "B-LOC", "I-LOC", "O"]

    def decoded(doubt: float) -> list[tuple[str, str]]:
        probs = onehot(tags, 0.6)
        probs[4] = 0.0
        probs[4, LABELS.index("B-LOC")] = 1 - doubt
        probs[4, LABELS.index("I-ORG")] = doubt
        return [(m.text, m.type) for m in decode_mentions(text, tokens, probs, LABELS)]

    # Some doubt that "El" starts a new name is enough after "of"; none keeps them apart.
    assert decoded(0.2) == [("Central Reserve Bank of El Salvador", "ORG")]
    assert decoded(0.0) == [("Central Reserve Bank", "ORG"), ("El Salvador", "LOC")]


def test_names_joined_by_and_stay_two_unless_the_model_reads_one_over_a_line_break() -> None:
    text = "JetBlue and Frontier"
    tokens = tokens_for(text, [(0, 7), (8, 11), (12, 20)], [1] * 3)
    probs = onehot(["B-ORG", "I-ORG", "B-ORG"], 0.6)
    probs[2, LABELS.index("I-ORG")] = 0.2
    assert [m.text for m in decode_mentions(text, tokens, probs, LABELS)] == ["JetBlue", "Frontier"]
    # A line break splits the name the model reads as one; "and" cannot end it, so it joins.
    text = "Ministry of Labour, Invalids and\nSocial Affairs"
    words = [(0, 8), (9, 11), (12, 18), (18, 19), (20, 28), (29, 32), (33, 39), (40, 47)]
    tokens = tokens_for(text, words, [1] * 8)
    tags = ["B-ORG"] + ["I-ORG"] * 7
    assert [m.text for m in decode_mentions(text, tokens, onehot(tags), LABELS)] == [text]


def test_a_connector_never_ends_a_name() -> None:
    text = "Tigst Assefa of Ethiopia"
    words = [(0, 5), (6, 12), (13, 15), (16, 24)]
    tokens = tokens_for(text, words, [1] * 4)
    mentions = decode_mentions(text, tokens, onehot(["B-PER", "I-PER", "I-PER", "O"]), LABELS)
    assert [(m.text, m.type, m.end) for m in mentions] == [("Tigst Assefa", "PER", 12)]
    # A person's name does not run on into a place, however unsure the model is.
    unsure = onehot(["B-PER", "I-PER", "I-PER", "B-LOC"], 0.6)
    unsure[3, LABELS.index("I-PER")] = 0.35
    mentions = decode_mentions(text, tokens, unsure, LABELS)
    assert [(m.text, m.type) for m in mentions] == [("Tigst Assefa", "PER"), ("Ethiopia", "LOC")]
    # With the connector outside both names, they stay apart.
    apart = decode_mentions(text, tokens, onehot(["B-PER", "I-PER", "O", "B-LOC"]), LABELS)
    assert [(m.text, m.type) for m in apart] == [("Tigst Assefa", "PER"), ("Ethiopia", "LOC")]


def test_names_that_end_on_a_capitalised_connector_word_are_kept_whole() -> None:
    text = "Andrew Do met Anh Le , of ( UK )"
    words = [(0, 6), (7, 9), (10, 13), (14, 17), (18, 20), (21, 22), (23, 25), (26, 27), (28, 30)]
    tokens = tokens_for(text, words, [1] * 9)
    tags = ["B-PER", "I-PER", "O", "B-ORG", "I-ORG", "I-ORG", "I-ORG", "I-ORG", "O"]
    mentions = decode_mentions(text, tokens, onehot(tags), LABELS)
    # "Do" is a name; "Anh Le , of (" loses its loose end of punctuation and connectors.
    assert [(m.text, m.type) for m in mentions] == [("Andrew Do", "PER"), ("Anh Le", "ORG")]


def test_names_apart_over_a_connector_join_only_where_the_model_reads_one_name() -> None:
    text = "Bosnia and Herzegovina"
    tokens = tokens_for(text, [(0, 6), (7, 10), (11, 22)], [1] * 3)

    def decoded(going_on: float) -> list[tuple[str, str]]:
        probs = onehot(["B-LOC", "O", "B-LOC"], 0.6)
        probs[2] = 0.0
        probs[2, LABELS.index("I-LOC")] = going_on
        probs[2, LABELS.index("B-LOC")] = 1 - going_on
        return [(m.text, m.type) for m in decode_mentions(text, tokens, probs, LABELS)]

    # The model left "and" outside, yet reads "Herzegovina" as going on: one country. Mere
    # doubt is not enough over a connector outside the name.
    assert decoded(0.7) == [("Bosnia and Herzegovina", "LOC")]
    assert decoded(0.2) == [("Bosnia", "LOC"), ("Herzegovina", "LOC")]


def test_a_lone_compass_word_shares_the_head_of_the_next_name() -> None:
    text = "Western and Eastern Europe"
    tokens = tokens_for(text, [(0, 7), (8, 11), (12, 19), (20, 26)], [1] * 4)
    probs = onehot(["B-MISC", "O", "B-LOC", "I-LOC"])
    mentions = decode_mentions(text, tokens, probs, LABELS)
    assert [(m.text, m.type) for m in mentions] == [("Western and Eastern Europe", "LOC")]
    # Two compass words alone are two regions; a name that is not one joins nothing.
    for text, tags in (
        ("East and West", ["B-LOC", "O", "B-LOC"]),
        ("Kenya and Ethiopia", ["B-LOC", "O", "B-LOC"]),
    ):
        first, _, last = text.split()
        words = [(0, len(first)), (len(first) + 1, len(first) + 4), (len(first) + 5, len(text))]
        tokens = tokens_for(text, words, [1] * 3)
        found = [m.text for m in decode_mentions(text, tokens, onehot(tags), LABELS)]
        assert found == [first, last]
