"""The NER teachers: Stanford CoreNLP's CRF models and spaCy's small pipeline, on our own words.

Every teacher tags the words of `enrich.text_split` (the project's sentence and word splitting,
with character offsets), so their outputs align with each other and with the gold spans without
re-tokenising. CoreNLP is GPL-licensed: it labels training data here and never ships in the
pipeline. Its jars come from Maven Central, pinned by SHA-256.
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from deploy.artifacts import MavenArtifact, fetch
from enrich.conll_types import TO_CONLL
from enrich.text_split import split_sentences
from training.corpus import Span

CORENLP = MavenArtifact(
    "edu.stanford.nlp",
    "stanford-corenlp",
    "4.5.10",
    "f813ce4ed7319d79225f2a520d40733075c6b3500dd0b81ee069229e461aab43",
)
CORENLP_MODELS = MavenArtifact(
    "edu.stanford.nlp",
    "stanford-corenlp",
    "4.5.10",
    "a5da9f6feb35a0fd2ea2cbe8909bede3952965b238a68c833ae3e031ed9026a0",
    classifier="models",
)
CRF_MODELS = {
    "corenlp-all3": "edu/stanford/nlp/models/ner/english.all.3class.distsim.crf.ser.gz",
    "corenlp-conll4": "edu/stanford/nlp/models/ner/english.conll.4class.distsim.crf.ser.gz",
    "corenlp-muc7": "edu/stanford/nlp/models/ner/english.muc.7class.distsim.crf.ser.gz",
}

Tagger = Callable[[Sequence[str]], list[list[Span]]]


def _words(text: str) -> list[list[tuple[str, int, int]]]:
    return [[(w.text, w.start, w.end) for w in s.words] for s in split_sentences(text)]


def io_spans(words: Sequence[tuple[str, int, int]], tags: Sequence[str]) -> list[Span]:
    """Spans from per-word IO or BIO tags (adjacent words of one type join, B- starts anew)."""
    spans: list[Span] = []
    current: list[int] | None = None
    kind = ""
    for (_, start, end), tag in zip(words, tags, strict=True):
        base = TO_CONLL.get(tag.removeprefix("B-").removeprefix("I-"))
        if base is None:
            if current:
                spans.append(Span(current[0], current[1], kind))
            current = None
            continue
        if current is not None and base == kind and not tag.startswith("B-"):
            current[1] = end
        else:
            if current:
                spans.append(Span(current[0], current[1], kind))
            current, kind = [start, end], base
    if current:
        spans.append(Span(current[0], current[1], kind))
    return spans


def corenlp_tagger(model: str, java: str = "java", heap: str = "3g") -> Tagger:
    """A tagger running one CoreNLP CRF model over our words (one JVM per call)."""
    jars = [fetch(CORENLP), fetch(CORENLP_MODELS)]

    def tag(texts: Sequence[str]) -> list[list[Span]]:
        per_text = [_words(t) for t in texts]
        with tempfile.TemporaryDirectory() as tmp:
            columns = Path(tmp) / "words.tsv"
            with columns.open("w") as handle:
                for sentences in per_text:
                    for sentence in sentences:
                        for word, _, _ in sentence:
                            handle.write(f"{word.replace(chr(9), ' ')}\tO\n")
                        handle.write("\n")
            cmd = [
                java,
                f"-Xmx{heap}",
                "-cp",
                os.pathsep.join(str(j) for j in jars),
                "edu.stanford.nlp.ie.crf.CRFClassifier",
                "-loadClassifier",
                CRF_MODELS[model],
                "-testFile",
                str(columns),
                "-map",
                "word=0,answer=1",
            ]
            result = subprocess.run(cmd, capture_output=True, text=True, check=False)
            if result.returncode != 0:
                raise RuntimeError(f"CoreNLP {model} failed: {result.stderr[-2000:]}")
        guesses = [line.split("\t")[-1] for line in result.stdout.splitlines() if line.strip()]
        out: list[list[Span]] = []
        cursor = 0
        for sentences in per_text:
            spans: list[Span] = []
            for sentence in sentences:
                tags = guesses[cursor : cursor + len(sentence)]
                cursor += len(sentence)
                spans.extend(io_spans(sentence, tags))
            out.append(spans)
        if cursor != len(guesses):
            raise RuntimeError(f"CoreNLP {model}: {len(guesses)} tags for {cursor} words")
        return out

    return tag


def spacy_tagger(python: Path, script: Path) -> Tagger:
    """spaCy's small pipeline (in its own venv, see deploy/models/silver_ner.py), as spans."""

    def tag(texts: Sequence[str]) -> list[list[Span]]:
        with tempfile.TemporaryDirectory() as tmp:
            corpus, out = Path(tmp) / "in.jsonl", Path(tmp) / "out.jsonl"
            corpus.write_text(
                "".join(
                    json.dumps({"title": t.split("\n\n", 1)[0], "body": t.split("\n\n", 1)[1]})
                    + "\n"
                    if "\n\n" in t
                    else json.dumps({"title": "", "body": t}) + "\n"
                    for t in texts
                )
            )
            subprocess.run(
                [str(python), str(script), str(corpus), str(out), str(len(texts))],
                check=True,
                capture_output=True,
            )
            rows = [json.loads(line) for line in out.read_text().splitlines()]
        result: list[list[Span]] = []
        cursor = 0
        for text in texts:
            # silver_ner.py joins title and body as "title\n\nbody", which is the text itself
            # except for an empty title; sentences come back in order.
            sentences = _words(text if "\n\n" in text else f"\n\n{text}")
            shift = 0 if "\n\n" in text else 2
            spans: list[Span] = []
            for sentence in sentences:
                tags = rows[cursor]["tags"]
                cursor += 1
                for s in io_spans(sentence, tags):
                    spans.append(Span(s.start - shift, s.end - shift, s.type))
            result.append(spans)
        return result

    return tag


def tag_parallel(taggers: dict[str, Tagger], texts: Sequence[str]) -> dict[str, list[list[Span]]]:
    """Run several teachers side by side (each is one external process)."""
    with ThreadPoolExecutor(max_workers=len(taggers)) as pool:
        futures = {name: pool.submit(t, texts) for name, t in taggers.items()}
        return {name: f.result() for name, f in futures.items()}


def overlaps(a: Span, b: Span) -> bool:
    return a.start < b.end and b.start < a.end


def combine(base: Sequence[Span], extra: Sequence[Span], types: set[str]) -> list[Span]:
    """`base`, plus `extra`'s spans of the given types where they overlap nothing in base."""
    out = list(base)
    for s in extra:
        if s.type in types and not any(overlaps(s, b) for b in base):
            out.append(s)
    return sorted(out, key=lambda s: s.start)
