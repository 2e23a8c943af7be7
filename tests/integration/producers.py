"""Non-Python producers as newsrooms run them: librdkafka's kcat and Kafka's Java client."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from transforms.connections import KafkaConnection

CODECS = ("none", "gzip", "snappy", "lz4", "zstd")
JAVA_PRODUCER = Path(__file__).with_name("java") / "ProduceArticles.java"


def kcat_produce(
    kafka: KafkaConnection,
    topic: str,
    codec: str,
    records: list[tuple[str, bytes]],
    linger_ms: int = 100,
) -> None:
    """One kcat run: keyed records with headers, compressed with `codec`, in as few batches
    as the linger allows (so a batch holds several records, as in production)."""
    kcat = shutil.which("kcat")
    assert kcat, "kcat is missing: run deploy/system-packages.sh (make system-packages)"
    lines = b"".join(key.encode() + b"\t" + value + b"\n" for key, value in records)
    result = subprocess.run(
        [
            kcat, "-P", "-b", kafka.bootstrap_servers, "-t", topic, "-K", "\t",
            "-z", codec,
            "-H", "producer=kcat", "-H", f"codec={codec}",
            "-X", f"linger.ms={linger_ms}",
            "-X", "message.max.bytes=60000000",
        ],
        input=lines,
        capture_output=True,
        check=False,
        timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr.decode(errors="replace")


def java_produce(
    kafka: KafkaConnection, topic: str, codec: str, records: list[tuple[str, bytes]]
) -> None:
    from deploy.local.stack import KafkaBroker, _java_home

    libs = KafkaBroker().libs
    lines = b"".join(key.encode() + b"\t" + value + b"\n" for key, value in records)
    result = subprocess.run(
        [
            str(_java_home() / "bin" / "java"),
            "-cp",
            f"{libs}/*",
            "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
            "-Dlog4j2.level=warn",
            str(JAVA_PRODUCER),
            kafka.bootstrap_servers,
            topic,
            codec,
        ],
        input=lines,
        capture_output=True,
        check=False,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr.decode(errors="replace")[-3000:]
    assert len(result.stdout.splitlines()) == len(records), result.stdout
