"""Silver training data: the best teacher combination over feed articles outside the gold set.

The combination is the one that scored best on the dev split (docs/models.md): CoreNLP's
`all.3class` model for PER/ORG/LOC, and `conll.4class`'s MISC where it overlaps nothing.
Articles of the labelled corpus (every split) and of the old dev set are left out, so no test
or dev text is ever trained on.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

from schemas.article import InvalidArticle, parse_article
from training.compare_teachers import COMBINATIONS, combined
from training.teachers import corenlp_tagger, tag_parallel

RECIPE = "all3 + conll4 MISC"
CHUNK = 250


def silver_articles(feed: Path, exclude: set[str], limit: int) -> list[tuple[str, str]]:
    out = []
    for line in feed.read_bytes().splitlines():
        try:
            article = parse_article(line)
        except InvalidArticle:
            continue
        if article.language != "en" or article.doc_id in exclude or len(article.body) < 200:
            continue
        out.append((article.doc_id, article.text))
        if len(out) == limit:
            break
    return out


def label(articles: list[tuple[str, str]], progress: bool = True) -> Iterable[dict[str, object]]:
    recipe = COMBINATIONS[RECIPE]
    teachers = {name: corenlp_tagger(name, heap="2g") for name, _ in recipe}
    for i in range(0, len(articles), CHUNK):
        chunk = articles[i : i + CHUNK]
        outputs = tag_parallel(teachers, [t for _, t in chunk])
        for j, (doc_id, text) in enumerate(chunk):
            spans = combined({name: outputs[name][j] for name in outputs}, recipe)
            yield {"id": doc_id, "text": text, "spans": [s.as_list() for s in spans]}
        if progress:
            print(f"silver: {min(i + CHUNK, len(articles))}/{len(articles)} articles", flush=True)


def write_silver(feed: Path, exclude: set[str], limit: int, out: Path) -> Path:
    tmp = out.with_suffix(".tmp")
    with tmp.open("w") as handle:
        for row in label(silver_articles(feed, exclude, limit)):
            handle.write(json.dumps(row) + "\n")
    tmp.replace(out)
    return out
