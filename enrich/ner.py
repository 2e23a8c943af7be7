"""Named-entity recognition over whole articles: sentence windows -> encoder -> head -> mentions."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from enrich.encoder import OnnxEncoder
from enrich.ner_head import NerHead, features, spans, viterbi
from enrich.text_split import Sentence, split_sentences
from schemas.enrichment import EntityMention


def _has_alnum(word: str) -> bool:
    return any(c.isalnum() for c in word)


class NerModel:
    def __init__(self, encoder: OnnxEncoder, head: NerHead) -> None:
        self.encoder = encoder
        self.head = head

    @property
    def name(self) -> str:
        return f"{self.head.meta.get('name', 'ner')}@{self.head.meta.get('version', '?')}"

    def extract_batch(self, texts: Sequence[str]) -> list[list[EntityMention]]:
        """Mentions for each text. All sentences of the batch go through the encoder together."""
        per_text = [split_sentences(text) for text in texts]
        flat: list[tuple[int, Sentence]] = [(i, s) for i, ss in enumerate(per_text) for s in ss]
        states = self.encoder.word_states([[w.text for w in s.words] for _, s in flat])
        out: list[list[EntityMention]] = [[] for _ in texts]
        for (text_index, sentence), sentence_states in zip(flat, states, strict=True):
            out[text_index].extend(self._decode(texts[text_index], sentence, sentence_states))
        return out

    def _decode(self, text: str, sentence: Sentence, states: np.ndarray) -> list[EntityMention]:
        words = [w.text for w in sentence.words]
        probs = self.head.probabilities(features(states, words), words)
        path = viterbi(probs, self.head.labels)
        tags = [self.head.labels[j] for j in path]
        mentions = []
        for first, last, kind in spans(tags):
            # CoNLL spans leave out a leading article ("the European Union") and never start or
            # end on punctuation (a dateline's "FRANKFURT -").
            while first < last and (words[first].lower() == "the" or not _has_alnum(words[first])):
                first += 1
            while last > first and not _has_alnum(words[last - 1]):
                last -= 1
            if first == last:
                continue
            start, end = sentence.words[first].start, sentence.words[last - 1].end
            score = float(np.mean([probs[i, path[i]] for i in range(first, last)]))
            mentions.append(EntityMention(text[start:end], kind, start, end, round(score, 4)))
        return mentions
