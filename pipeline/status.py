"""`newswire status`: where the pipeline stands, from the outside (works for any runner).

Consumer lag per partition (end offset minus the group's committed offset: records not yet
indexed or dead-lettered), the index's document count and size, and the dead letters.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pipeline.settings import Settings
from transforms.kafka_clients import LagReader, PartitionLag


@dataclass(frozen=True)
class Status:
    partitions: list[PartitionLag] = field(default_factory=list)
    index: str = ""
    backing_index: str | None = None
    documents: int | None = None
    size_bytes: int | None = None
    dead_letters: int = 0
    dead_letters_by_code: dict[str, int] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)

    @property
    def lag(self) -> int:
        return sum(p.lag for p in self.partitions)

    def to_json(self) -> dict[str, Any]:
        return {
            "lag": self.lag,
            "partitions": [
                {
                    "topic": p.topic,
                    "partition": p.partition,
                    "committed": p.committed,
                    "end": p.end,
                    "lag": p.lag,
                }
                for p in self.partitions
            ],
            "index": self.index,
            "backing_index": self.backing_index,
            "documents": self.documents,
            "size_bytes": self.size_bytes,
            "dead_letters": self.dead_letters,
            "dead_letters_by_code": self.dead_letters_by_code,
            "errors": self.errors,
        }

    def lines(self) -> list[str]:
        out = [f"consumer lag: {self.lag} record(s) not yet indexed or dead-lettered"]
        for p in self.partitions:
            committed = "-" if p.committed is None else str(p.committed)
            out.append(
                f"  {p.topic}[{p.partition}]  committed {committed:>8}  end {p.end:>8}  "
                f"lag {p.lag:>6}"
            )
        if self.documents is not None:
            size = (self.size_bytes or 0) / 1e6
            out.append(
                f"index {self.index} -> {self.backing_index}: {self.documents} documents, "
                f"{size:.1f} MB"
            )
        codes = ", ".join(f"{k} {v}" for k, v in sorted(self.dead_letters_by_code.items()))
        out.append(f"dead letters: {self.dead_letters}" + (f" ({codes})" if codes else ""))
        out.extend(f"error: {e}" for e in self.errors)
        return out


def status(settings: Settings) -> Status:
    from pipeline.dead_letters import inspect
    from transforms.connections import es_client

    errors: list[str] = []
    partitions: list[PartitionLag] = []
    dead = 0
    by_code: dict[str, int] = {}
    try:
        with LagReader(settings.kafka, settings.group_id) as lag:
            partitions = lag.partitions([settings.topic])
        letters = inspect(settings.kafka, settings.dlq_topic, 0)
        dead, by_code = letters.total, dict(letters.by_code)
    except Exception as exc:
        errors.append(f"Kafka: {type(exc).__name__}: {exc}")
    documents = size = None
    backing = None
    client = es_client(settings.es)
    try:
        stats = client.indices.stats(index=settings.index, metric="docs,store")
        backing = ",".join(sorted(stats["indices"]))
        # docs.count in the stats counts nested entities and topics too; _count is articles.
        documents = int(client.count(index=settings.index)["count"])
        size = int(stats["_all"]["primaries"]["store"]["size_in_bytes"])
    except Exception as exc:
        errors.append(f"Elasticsearch: {type(exc).__name__}: {exc}")
    finally:
        client.close()
    return Status(partitions, settings.index, backing, documents, size, dead, by_code, errors)
