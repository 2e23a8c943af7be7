"""Hand labels to training spans: every occurrence, longest first, word boundaries, contexts."""

from training.corpus import LabelledEntity, occurrences, project_spans


def test_longest_form_wins_and_inner_names_do_not_double() -> None:
    text = "The University of Manchester is in Manchester."
    spans = project_spans(
        text,
        [
            LabelledEntity("University of Manchester", "ORG"),
            LabelledEntity("Manchester", "LOC"),
        ],
    )
    assert [(text[s.start : s.end], s.type) for s in spans] == [
        ("University of Manchester", "ORG"),
        ("Manchester", "LOC"),
    ]


def test_forms_match_case_sensitively_at_word_boundaries() -> None:
    assert occurrences("Iran, Iranian and IRAN", "Iran") == [0]
    assert occurrences("Russia's war", "Russia") == [0]
    assert occurrences("pro-Russia groups", "Russia") == [4]


def test_contexts_restrict_an_ambiguous_form() -> None:
    text = "In May, Theresa May said May would do."
    spans = project_spans(
        text, [LabelledEntity("May", "PER", contexts=("Theresa May", "said May would"))]
    )
    assert [s.start for s in spans] == [16, 25]
