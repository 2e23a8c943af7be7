"""The pipeline's Beam metrics, queried from the runner and summed up in one line."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from apache_beam.metrics.metric import MetricsFilter

NAMESPACE = "newswire"


@dataclass(frozen=True)
class Distribution:
    count: int = 0
    total: int = 0

    @property
    def mean(self) -> float:
        return self.total / self.count if self.count else 0.0


@dataclass(frozen=True)
class Counters:
    counters: dict[str, int] = field(default_factory=dict)
    distributions: dict[str, Distribution] = field(default_factory=dict)
    gauges: dict[str, int] = field(default_factory=dict)

    def get(self, name: str) -> int:
        return self.counters.get(name, 0)


def query_counters(result: Any) -> Counters:
    """Counters, distributions and gauges of the newswire namespace, live or final."""
    try:
        metrics = _fresh_metrics(result).query(MetricsFilter().with_namespace(NAMESPACE))
    except Exception:  # a runner that cannot answer mid-run: report nothing rather than fail
        return Counters()
    counters: dict[str, int] = {}
    for c in metrics["counters"]:
        value = c.committed or c.attempted or 0
        counters[c.key.metric.name] = counters.get(c.key.metric.name, 0) + int(value)
    distributions: dict[str, Distribution] = {}
    for d in metrics["distributions"]:
        value = d.committed if d.committed is not None else d.attempted
        if value is None:
            continue
        prior = distributions.get(d.key.metric.name, Distribution())
        distributions[d.key.metric.name] = Distribution(
            prior.count + int(value.count), prior.total + int(value.sum)
        )
    gauges: dict[str, int] = {}
    for g in metrics.get("gauges", []):
        value = g.committed if g.committed is not None else g.attempted
        if value is not None and value.value is not None:
            gauges[g.key.metric.name] = gauges.get(g.key.metric.name, 0) + int(value.value)
    return Counters(counters, distributions, gauges)


def _fresh_metrics(result: Any) -> Any:
    # The portable runner's result caches its first metrics answer; ask the job service again.
    job_service = getattr(result, "_job_service", None)
    if job_service is not None:
        from apache_beam.portability.api import beam_job_api_pb2
        from apache_beam.runners.portability.portable_runner import PortableMetrics

        response = job_service.GetJobMetrics(
            beam_job_api_pb2.GetJobMetricsRequest(job_id=result._job_id)
        )
        return PortableMetrics(response)
    return result.metrics()


@dataclass(frozen=True)
class MetricsSnapshot:
    current: Counters = field(default_factory=Counters)
    previous: Counters = field(default_factory=Counters)
    at: float = field(default_factory=time.monotonic)
    since: float = field(default_factory=time.monotonic)

    def advance(self, counters: Counters) -> MetricsSnapshot:
        if not counters.counters and self.current.counters:
            counters = self.current  # the runner did not answer this time
        return MetricsSnapshot(counters, self.current, time.monotonic(), self.at)

    def fields(self, lag: int | None = None) -> dict[str, Any]:
        """Counts so far, the rate since the last snapshot and the consumer lag."""
        c = self.current
        seconds = max(1e-9, self.at - self.since)
        return {
            "articles_in": c.get("articles_in"),
            "articles_per_s": (c.get("articles_in") - self.previous.get("articles_in")) / seconds,
            "articles_indexed": c.get("articles_indexed"),
            "articles_superseded": c.get("articles_superseded"),
            "dead_lettered": c.get("dead_lettered"),
            "dead_lettered_by_code": dead_lettered_by_code(c.counters),
            "offsets_committed": c.get("offsets_committed"),
            "model_ms_per_article": c.distributions.get(
                "model_ms_per_article", Distribution()
            ).mean,
            "bulk_ms": c.distributions.get("bulk_ms", Distribution()).mean,
            "bulk_retries": c.get("bulk_retries"),
            "consumer_lag": lag,
            "runner_metrics": bool(c.counters),
        }

    def line(self, lag: int | None = None) -> str:
        """fields() as one line for people."""
        f = self.fields(lag)
        codes = f["dead_lettered_by_code"]
        parts = [
            f"in {f['articles_in']} ({f['articles_per_s']:.1f}/s)",
            f"indexed {f['articles_indexed']}",
            f"superseded {f['articles_superseded']}",
            f"dead-lettered {f['dead_lettered']}" + (f" {codes}" if codes else ""),
            f"committed {f['offsets_committed']}",
            f"model {f['model_ms_per_article']:.0f} ms/article",
            f"bulk {f['bulk_ms']:.0f} ms/request",
        ]
        if not f["runner_metrics"]:
            parts = ["(the runner reports no metrics while running)"]
        if lag is not None:
            parts.append(f"lag {lag}")
        return "newswire: " + ", ".join(parts)


def dead_lettered_by_code(counters: dict[str, int]) -> dict[str, int]:
    """The `dead_lettered.<code>` counters as {code: count}."""
    return {
        k.split(".", 1)[1]: v for k, v in sorted(counters.items()) if k.startswith("dead_lettered.")
    }
