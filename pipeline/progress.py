"""Progress bars for long CLI jobs, on a terminal only (logs and CI stay clean)."""

from __future__ import annotations

import sys
from typing import Any


def bar(total: int | None, description: str, unit: str = "article") -> Any:
    from tqdm import tqdm

    return tqdm(
        total=total,
        desc=description,
        unit=unit,
        disable=not sys.stderr.isatty(),
        dynamic_ncols=True,
        leave=False,
    )
