"""The trained topic classifier's choice rule and its taxonomy check."""

from pathlib import Path

import numpy as np

from enrich.topic_classifier import TopicClassifier
from enrich.topics import Taxonomy


def classifier(threshold: float = 0.5) -> TopicClassifier:
    # Feature i votes for topic i.
    return TopicClassifier(
        ("t:a", "t:b", "t:c", "t:d"),
        np.eye(4, dtype=np.float32) * 4,
        np.full(4, -2.0, dtype=np.float32),
        np.zeros(4, dtype=np.float32),
        np.ones(4, dtype=np.float32),
        threshold,
        3,
        "test",
    )


def taxonomy() -> Taxonomy:
    return Taxonomy("t", "1", ("t:a", "t:b", "t:c", "t:d"), ("A", "B", "C", "D"), ((),) * 4)


def test_best_topic_always_then_others_over_the_threshold() -> None:
    c = classifier()
    (strong_a_and_c, nothing) = c.classify(
        np.array([[1.0, 0.0, 0.9, 0.0], [0.0, 0.0, 0.0, 0.0]], dtype=np.float32), taxonomy()
    )
    assert [t.id for t in strong_a_and_c] == ["t:a", "t:c"]
    assert len(nothing) == 1  # the best topic even when none passes the threshold
    assert strong_a_and_c[0].label == "A"


def test_fits_only_the_taxonomy_it_was_trained_on(tmp_path: Path) -> None:
    c = classifier()
    assert c.fits(taxonomy())
    edited = Taxonomy("t", "2", ("t:a", "t:b", "t:x", "t:d"), ("A", "B", "X", "D"), ((),) * 4)
    assert not c.fits(edited)
    c.save(tmp_path)
    again = TopicClassifier.load(tmp_path)
    assert again.ids == c.ids and np.array_equal(again.weights, c.weights)
