"""Choose the articles of the shared feed to label, and their splits, reproducibly.

English articles only, at most four per source, spread over body lengths (most short to medium,
some long); the 30 articles of the earlier dev set join the dev split. Seeded, so the same feed
gives the same selection.
"""

from __future__ import annotations

import json
import random
import sys
from collections import Counter
from pathlib import Path

from schemas.article import InvalidArticle, parse_article

BUCKETS = [(400, 3000, 190), (3000, 6000, 80), (6000, 12000, 30)]
PER_SOURCE = 4
SEED = 2026
TEST, DEV_NEW = 110, 30


def select(feed: Path, dev_set: Path, exclude: set[str] | None = None) -> list[dict[str, object]]:
    rng = random.Random(SEED)
    dev_ids = {json.loads(line)["id"] for line in dev_set.read_text().splitlines() if line}
    pool: list[tuple[int, str, str | None, int]] = []
    for number, line in enumerate(feed.read_bytes().splitlines()):
        try:
            article = parse_article(line)
        except InvalidArticle:
            continue
        if article.language != "en" or article.doc_id in dev_ids | (exclude or set()):
            continue
        pool.append((number, article.doc_id, article.source, len(article.body)))
    rng.shuffle(pool)
    per_source: Counter[str | None] = Counter()
    chosen: list[tuple[int, str, int]] = []
    for low, high, count in BUCKETS:
        taken = 0
        for number, doc_id, source, length in pool:
            if taken == count:
                break
            if not low <= length < high or per_source[source] >= PER_SOURCE:
                continue
            if any(c[1] == doc_id for c in chosen):
                continue
            per_source[source] += 1
            chosen.append((number, doc_id, length))
            taken += 1
    rng.shuffle(chosen)
    rows = []
    for i, (number, doc_id, length) in enumerate(chosen):
        split = "test" if i < TEST else "dev" if i < TEST + DEV_NEW else "train"
        rows.append({"id": doc_id, "feed_line": number, "split": split, "body_chars": length})
    return rows


ROUND_SIZES = {2: 300, 3: 210, 4: 300, 5: 180, 6: 240, 7: 240, 8: 240, 9: 201}


def select_more(
    feed: Path, dev_set: Path, earlier: list[dict[str, object]], round_: int = 2
) -> list[dict[str, object]]:
    """A later round of train articles (labelled after the earlier ones): same rules, the
    round's own seed, none of the articles already chosen."""
    global SEED
    taken = {str(r["id"]) for r in earlier}
    seed, SEED = SEED, SEED + round_ - 1
    try:
        rows = select(feed, dev_set, exclude=taken)[: ROUND_SIZES[round_]]
    finally:
        SEED = seed
    for r in rows:
        r["split"] = "train"
        r["round"] = round_
    return rows


def main() -> None:
    feed, dev_set, out = (Path(a) for a in sys.argv[1:4])
    rows = select(feed, dev_set)
    for round_ in ROUND_SIZES:
        if f"--round{round_}" in sys.argv:
            rows += select_more(feed, dev_set, rows, round_)
    out.write_text("".join(json.dumps(r) + "\n" for r in rows))
    print(f"{len(rows)} articles: {Counter(r['split'] for r in rows)}")


if __name__ == "__main__":
    main()
