"""The labelled corpus by split, as texts with mention spans (what training and scoring read)."""

from __future__ import annotations

import json
from pathlib import Path

from enrich.evaluate import GoldArticle, GoldEntity
from schemas.article import parse_article
from training.corpus import LabelledArticle, load_labels, project_spans
from training.finetune import Example

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "eval" / "corpus"
OLD_DEV = ROOT / "eval" / "dev-set.jsonl"
FEED = ROOT.parent / "shared" / "data" / "news-feed.jsonl"


def label_files() -> list[Path]:
    """The first labelling of every batch (b1, b2, ...); blind.jsonl is the second pass."""
    found = (CORPUS / "labels").glob("b*.jsonl")
    return sorted((p for p in found if p.stem[1:].isdigit()), key=lambda p: int(p.stem[1:]))


def splits() -> dict[str, str]:
    rows = [json.loads(x) for x in (CORPUS / "selection.jsonl").read_text().splitlines() if x]
    out = {r["id"]: r["split"] for r in rows}
    for line in OLD_DEV.read_text().splitlines():
        if line.strip():
            out[json.loads(line)["id"]] = "dev"
    return out


def labelled(split: str) -> list[LabelledArticle]:
    which = splits()
    files = label_files()
    articles = [a for a in load_labels(files) if which.get(a.id) == split]
    if split == "dev":
        articles += load_labels([OLD_DEV])
    seen: dict[str, LabelledArticle] = {}
    for a in articles:
        seen.setdefault(a.id, a)
    return list(seen.values())


def texts_for(articles: list[LabelledArticle], feed: Path = FEED) -> dict[str, str]:
    lines = feed.read_bytes().splitlines()
    out = {}
    for a in articles:
        if a.feed_line is not None and a.feed_line < len(lines):
            record = parse_article(lines[a.feed_line])
            if record.doc_id == a.id:
                out[a.id] = record.text
    missing = [a.id for a in articles if a.id not in out]
    if missing:
        raise ValueError(f"{len(missing)} labelled articles not found at their feed lines")
    return out


def examples_for(split: str) -> list[Example]:
    articles = labelled(split)
    texts = texts_for(articles)
    return [Example(texts[a.id], tuple(project_spans(texts[a.id], a.entities))) for a in articles]


def as_gold(articles: list[LabelledArticle]) -> list[GoldArticle]:
    return [
        GoldArticle(
            a.id,
            tuple(GoldEntity(e.name, e.type, e.aliases) for e in a.entities),
            a.topics,
            a.feed_line,
        )
        for a in articles
    ]
