"""Windows over long texts: every sub-word judged by exactly one window, with context."""

import itertools

import numpy as np
import pytest

from enrich.token_windows import (
    ALL_CAPS,
    CAPITALISED,
    LOWER,
    NO_LETTERS,
    Tokens,
    case_type,
    case_types_for,
    first_subwords,
    owner_ranges,
    pad_batch,
    window_starts,
    windows_for,
)


@pytest.mark.parametrize("n", [1, 5, 126, 127, 200, 1000, 1001])
def test_owner_ranges_partition_the_text_and_sit_inside_their_windows(n: int) -> None:
    size, stride = 126, 32
    starts = window_starts(n, size, stride)
    ranges = owner_ranges(starts, n, size)
    assert ranges[0][0] == 0 and ranges[-1][1] == n
    for (_, hi), (lo, _) in itertools.pairwise(ranges):
        assert hi == lo
    for start, (lo, hi) in zip(starts, ranges, strict=True):
        assert start <= lo <= hi <= min(start + size, n)
    # Neighbouring windows overlap by the stride, so a sub-word near a cut has context.
    for a, b in itertools.pairwise(starts):
        assert a + size - b >= stride


def test_a_sub_word_near_a_window_edge_is_judged_by_the_window_that_centres_it() -> None:
    starts = window_starts(300, 126, 32)
    ranges = owner_ranges(starts, 300, 126)
    second_start = starts[1]
    owner = next(k for k, (lo, hi) in enumerate(ranges) if lo <= second_start < hi)
    assert owner == 0  # the first sub-word of window 2 is still mid-window 1


def test_case_types() -> None:
    assert case_type("Putin") == CAPITALISED
    assert case_type("NATO") == ALL_CAPS
    assert case_type("parliament") == LOWER
    assert case_type("1,200") == NO_LETTERS
    assert case_type("I") == CAPITALISED
    assert case_type("iPhone") == LOWER


def test_every_sub_word_of_a_word_gets_the_word_case() -> None:
    text = "Orban met NATO"
    offsets = np.array([[0, 2], [2, 5], [6, 9], [10, 14]])
    word_ids = np.array([0, 0, 1, 2])
    assert case_types_for(text, offsets, word_ids).tolist() == [
        CAPITALISED,
        CAPITALISED,
        LOWER,
        ALL_CAPS,
    ]
    assert first_subwords(word_ids).tolist() == [True, False, True, True]


def test_windows_carry_special_tokens_and_pad_to_the_longest() -> None:
    n = 10
    tokens = Tokens(
        np.arange(100, 100 + n),
        np.stack([np.arange(n), np.arange(n) + 1], axis=1),
        np.arange(n),
        np.ones(n, dtype=np.int64),
    )
    windows = windows_for(tokens, 0, size=6, stride=2, cls_id=1, sep_id=2)
    assert [w.start for w in windows] == [0, 4]
    assert windows[0].input_ids.tolist() == [1, 100, 101, 102, 103, 104, 105, 2]
    assert windows[0].token_type_ids.tolist() == [0, 1, 1, 1, 1, 1, 1, 0]
    feeds = pad_batch([windows[0], windows_for(tokens, 0, 20, 2, 1, 2)[0]])
    assert feeds["input_ids"].shape == (2, 12)
    assert feeds["attention_mask"][0].tolist() == [1] * 8 + [0] * 4
