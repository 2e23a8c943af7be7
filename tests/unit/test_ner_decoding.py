import numpy as np

from enrich.entities import group_mentions
from enrich.ner import EntityMention
from enrich.ner_head import LABELS, TABLES, NerHead, shape_matrix, spans, train, viterbi


def test_spans_read_bio_runs() -> None:
    tags = ["B-PER", "I-PER", "O", "B-LOC", "B-LOC", "I-LOC", "O", "I-ORG"]
    assert spans(tags) == [(0, 2, "PER"), (3, 4, "LOC"), (4, 6, "LOC"), (7, 8, "ORG")]


def test_viterbi_never_puts_inside_after_another_type() -> None:
    probs = np.full((2, len(LABELS)), 0.01, dtype=np.float32)
    probs[0, LABELS.index("B-PER")] = 0.9
    probs[1, LABELS.index("I-ORG")] = 0.6  # invalid after B-PER
    probs[1, LABELS.index("I-PER")] = 0.3
    path = [LABELS[i] for i in viterbi(probs, LABELS)]
    assert path == ["B-PER", "I-PER"]


def test_shape_features_see_capitals_and_neighbours() -> None:
    shapes = shape_matrix(["Mr", "Orban", "spoke"])
    assert shapes.shape == (3, 18)
    assert shapes[1, 0] == 1.0  # Orban is capitalised
    assert shapes[2, 6] == 1.0  # the left neighbour of "spoke" is capitalised


def test_training_learns_a_separable_toy_problem() -> None:
    rng = np.random.default_rng(0)
    x = rng.standard_normal((600, 8)).astype(np.float32)
    y = (x[:, 0] > 0).astype(np.int64) * LABELS.index("B-PER")
    words = [f"w{i}" for i in range(len(x))]
    head = train(x, words, y, hidden=16, buckets=64, epochs=30, batch=64, lr=1e-2)
    predicted = head.probabilities(x, words).argmax(axis=1)
    assert (predicted == y).mean() > 0.95


def test_head_round_trips_through_disk(tmp_path) -> None:  # type: ignore[no-untyped-def]
    head = NerHead(
        np.ones((4, 3), np.float32),
        np.zeros(3, np.float32),
        np.ones((3, len(LABELS)), np.float32),
        np.zeros(len(LABELS), np.float32),
        {name: np.full((8, 3), i, np.float32) for i, name in enumerate(TABLES)},
        meta={"name": "x", "version": "1"},
    )
    head.save(tmp_path)
    again = NerHead.load(tmp_path)
    assert again.labels == LABELS and again.meta == {"name": "x", "version": "1"}
    assert np.array_equal(again.w1, head.w1)
    for name in TABLES:
        assert np.array_equal(again.tables[name], head.tables[name])


def m(text: str, kind: str, start: int) -> EntityMention:
    return EntityMention(text, kind, start, start + len(text), 0.9)


def test_short_forms_join_the_longest_form_of_the_same_type() -> None:
    entities = group_mentions(
        [
            m("Viktor Orban", "PER", 0),
            m("Orban", "PER", 50),
            m("Mr Orban", "PER", 90),
            m("Hungary", "LOC", 20),
            m("Orban", "ORG", 200),
        ]
    )
    by_key = {(e.name, e.type): e for e in entities}
    assert by_key[("Viktor Orban", "PER")].first_offset == 0
    assert ("Orban", "ORG") not in by_key, "a person's surname refers back to the person"
    assert by_key[("Viktor Orban", "PER")].count == 4
    assert by_key[("Hungary", "LOC")].count == 1


def test_an_ambiguous_short_form_stays_on_its_own() -> None:
    entities = group_mentions(
        [m("John Smith", "PER", 0), m("Anna Smith", "PER", 20), m("Smith", "PER", 40)]
    )
    assert sorted(e.name for e in entities) == ["Anna Smith", "John Smith", "Smith"]


def test_case_variants_are_one_entity_shown_in_normal_case() -> None:
    entities = group_mentions(
        [m("BERLIN", "LOC", 0), m("Berlin", "LOC", 30), m("Berlin", "LOC", 60)]
    )
    assert [(e.name, e.count) for e in entities] == [("Berlin", 3)]
