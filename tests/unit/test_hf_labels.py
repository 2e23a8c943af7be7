"""A Hugging Face checkpoint's labels, mapped to CoNLL's four types."""

import numpy as np
import pytest

from enrich.hf_ner import CONLL_LABELS, conll_label, label_matrix


@pytest.mark.parametrize(
    ("label", "expected"),
    [
        ("O", "O"),
        ("B-PER", "B-PER"),
        ("I-ORG", "I-ORG"),
        ("B-PERSON", "B-PER"),
        ("I-GPE", "I-LOC"),
        ("B-NORP", "B-MISC"),
        ("U-LOC", "B-LOC"),
        ("L-ORG", "I-ORG"),
        ("PER", "I-PER"),  # IO schemes: a bare type continues
        ("B-DATE", "O"),  # no CoNLL counterpart
        ("S-ORGANIZATION", "B-ORG"),
    ],
)
def test_conll_label(label: str, expected: str) -> None:
    assert conll_label(label) == expected


def test_probabilities_of_labels_that_map_together_add_up() -> None:
    m = label_matrix({0: "O", 1: "B-DATE", 2: "B-GPE", 3: "B-LOC"})
    probs = np.array([[0.1, 0.2, 0.3, 0.4]], dtype=np.float32)
    mapped = probs @ m
    assert mapped[0, CONLL_LABELS.index("O")] == pytest.approx(0.3)
    assert mapped[0, CONLL_LABELS.index("B-LOC")] == pytest.approx(0.7)
