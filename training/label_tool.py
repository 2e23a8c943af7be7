"""The labeller's tool: show a batch's articles as the models read them, check a label file.

    python -m training.label_tool show BATCH [--from N] [--count K]
    python -m training.label_tool check LABELS.jsonl

Batches: b1..b5 split the first round of the selection round-robin, b6..b10 the second and
b11..b17 the third, b18..b27 the fourth, b28..b33 the fifth and b34..b41 the sixth (train
articles only); `blind` is the first 20 test articles, labelled
a second time without seeing the first labels, to measure agreement.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import yaml

from schemas.article import parse_article
from training.corpus import load_labels, missing_forms, project_spans

ROOT = Path(__file__).resolve().parents[1]
SELECTION = ROOT / "eval" / "corpus" / "selection.jsonl"
FEED = ROOT.parent / "shared" / "data" / "news-feed.jsonl"
ROUND_BATCHES = (5, 5, 7, 10, 6, 8, 8, 8, 7)
BLIND = 20


def selection() -> list[dict[str, object]]:
    return [json.loads(line) for line in SELECTION.read_text().splitlines() if line]


def batch(name: str) -> list[dict[str, object]]:
    rows = selection()
    if name == "blind":
        return [r for r in rows if r["split"] == "test"][:BLIND]
    k = int(name.removeprefix("b")) - 1
    for round_, batches in enumerate(ROUND_BATCHES, 1):
        if k < batches:
            round_rows = [r for r in rows if r.get("round", 1) == round_]
            return [r for i, r in enumerate(round_rows) if i % batches == k]
        k -= batches
    raise ValueError(f"no batch {name}: there are b1..b{sum(ROUND_BATCHES)}")


def texts(feed: Path = FEED) -> dict[int, tuple[str, str]]:
    lines = feed.read_bytes().splitlines()
    out = {}
    for r in selection():
        n = int(str(r["feed_line"]))
        article = parse_article(lines[n])
        out[n] = (article.doc_id, article.text)
    return out


def topic_ids() -> set[str]:
    data = yaml.safe_load((ROOT / "schemas" / "topics.yaml").read_text())
    return {t["id"] for t in data["topics"]}


def show(name: str, start: int, count: int) -> None:
    rows = batch(name)
    lines = FEED.read_bytes().splitlines()
    for r in rows[start : start + count]:
        article = parse_article(lines[int(str(r["feed_line"]))])
        print(f"=== id={article.doc_id} feed_line={r['feed_line']} split={r['split']}")
        print(article.text)
        print()


def check(path: Path) -> None:
    labelled = load_labels([path])
    known_topics = topic_ids()
    all_texts = {doc_id: text for doc_id, text in texts().values()}
    problems = 0
    for a in labelled:
        text = all_texts.get(a.id)
        if text is None:
            print(f"{a.id}: not in the selection")
            problems += 1
            continue
        for e in a.entities:
            missing = missing_forms(text, e)
            if missing:
                print(f"{a.id}: {e.type} {e.name!r}: forms not in the text: {missing}")
                problems += 1
        bad = [t for t in a.topics if t not in known_topics]
        if not 1 <= len(a.topics) <= 3 or bad:
            print(f"{a.id}: topics must be 1-3 ids of schemas/topics.yaml: {list(a.topics)}")
            problems += 1
        spans = project_spans(text, a.entities)
        print(f"{a.id}: {len(a.entities)} entities, {len(spans)} mentions")
    print(f"{len(labelled)} articles checked, {problems} problem(s)")


def main() -> None:
    parser = argparse.ArgumentParser(prog="label_tool")
    sub = parser.add_subparsers(dest="command", required=True)
    s = sub.add_parser("show")
    s.add_argument("batch")
    s.add_argument("--from", dest="start", type=int, default=0)
    s.add_argument("--count", type=int, default=5)
    c = sub.add_parser("check")
    c.add_argument("labels", type=Path)
    args = parser.parse_args()
    if args.command == "show":
        show(args.batch, args.start, args.count)
    else:
        check(args.labels)


if __name__ == "__main__":
    main()
