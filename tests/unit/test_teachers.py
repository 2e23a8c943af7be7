"""Teacher outputs as spans, and how combinations fill gaps."""

from training.corpus import Span
from training.teachers import combine, io_spans


def test_io_tags_join_adjacent_words_and_b_starts_anew() -> None:
    words = [("Viktor", 0, 6), ("Orban", 7, 12), ("met", 13, 16), ("EU", 17, 19), ("NATO", 20, 24)]
    tags = ["PERSON", "PERSON", "O", "B-ORG", "B-ORG"]
    assert io_spans(words, tags) == [Span(0, 12, "PER"), Span(17, 19, "ORG"), Span(20, 24, "ORG")]


def test_combine_adds_only_non_overlapping_spans_of_the_given_types() -> None:
    base = [Span(0, 12, "PER")]
    extra = [Span(7, 12, "MISC"), Span(20, 27, "MISC"), Span(30, 35, "LOC")]
    assert combine(base, extra, {"MISC"}) == [Span(0, 12, "PER"), Span(20, 27, "MISC")]
