from enrich.text_split import split_sentences, words_in


def test_words_keep_offsets_into_the_original_text() -> None:
    text = "Hungary’s PM met U.S. officials in Rolls-Royce's plant."
    words = words_in(text)
    assert [w.text for w in words] == [
        "Hungary",
        "’s",
        "PM",
        "met",
        "U.S.",
        "officials",
        "in",
        "Rolls-Royce",
        "'s",
        "plant",
        ".",
    ]
    for word in words:
        assert text[word.start : word.end] == word.text


def test_sentences_split_on_punctuation_but_not_on_titles_or_initialisms() -> None:
    text = "Mr. Orban met Mr Putin. They spoke in the U.S. Embassy. Talks ended.\n\nA new paragraph"
    sentences = [text[s.start : s.end] for s in split_sentences(text)]
    assert sentences == [
        "Mr. Orban met Mr Putin.",
        "They spoke in the U.S. Embassy.",
        "Talks ended.",
        "A new paragraph",
    ]


def test_long_runs_are_cut_into_pieces_and_nothing_is_lost() -> None:
    text = " ".join(f"w{i}" for i in range(250))
    sentences = split_sentences(text, max_words=100)
    assert [len(s.words) for s in sentences] == [100, 100, 50]
    assert sum(len(s.words) for s in sentences) == 250


def test_empty_and_blank_text_give_no_sentences() -> None:
    assert split_sentences("") == []
    assert split_sentences("  \n\n \n") == []
