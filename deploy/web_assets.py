"""The browser libraries the newsroom UI serves itself: installed with npm from the committed
deploy/web/package.json + package-lock.json into the cache, never from a CDN at page load.

npm ci checks every tarball against the lock's integrity hashes; we then record the SHA-256 of
each file the UI serves and check it again whenever the UI starts, so a cache that was altered
or half-written is rebuilt instead of served.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import tempfile
from pathlib import Path

from deploy.artifacts import sha256_of
from deploy.paths import cache_dir

WEB_DIR = Path(__file__).with_name("web")
# URL name under /vendor/ -> file inside node_modules
SERVED_FILES = {
    "chart.umd.min.js": "chart.js/dist/chart.umd.min.js",
    "cytoscape.min.js": "cytoscape/dist/cytoscape.min.js",
}
_MANIFEST = "newswire-served.sha256.json"


class WebAssetsError(RuntimeError):
    """npm is missing, could not install the locked packages, or a served file is wrong."""


def assets_dir() -> Path:
    """The cache folder for the current lock: keyed by the lock's own hash."""
    key = hashlib.sha256((WEB_DIR / "package-lock.json").read_bytes()).hexdigest()[:16]
    return cache_dir() / f"web-assets-{key}"


def _verified(root: Path) -> bool:
    manifest = root / _MANIFEST
    if not manifest.exists():
        return False
    expected: dict[str, str] = json.loads(manifest.read_text())
    if set(expected) != set(SERVED_FILES):
        return False
    for name, relative in SERVED_FILES.items():
        path = root / "node_modules" / relative
        if not path.exists() or sha256_of(path) != expected[name]:
            return False
    return True


def ensure_web_assets(*, quiet: bool = False) -> dict[str, Path]:
    """The served files by URL name, installing them with `npm ci` first when needed."""
    root = assets_dir()
    if not _verified(root):
        npm = shutil.which("npm")
        if npm is None:
            raise WebAssetsError(
                "npm is not installed (deploy/system-packages.sh installs it); the newsroom UI "
                "serves its chart and graph libraries from the npm packages in deploy/web/"
            )
        if not quiet:
            print(f"web assets: npm ci into {root}", flush=True)
        root.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(dir=root.parent, prefix=".web-assets-"))
        try:
            for name in ("package.json", "package-lock.json"):
                shutil.copy2(WEB_DIR / name, staging / name)
            done = subprocess.run(
                [npm, "ci", "--ignore-scripts", "--no-audit", "--no-fund", "--loglevel=error"],
                cwd=staging,
                capture_output=True,
                text=True,
                check=False,
            )
            if done.returncode != 0:
                raise WebAssetsError(f"npm ci failed: {done.stderr.strip()[-2000:]}")
            sums = {}
            for name, relative in SERVED_FILES.items():
                path = staging / "node_modules" / relative
                if not path.exists():
                    raise WebAssetsError(f"npm ci did not install {relative}")
                sums[name] = sha256_of(path)
            (staging / _MANIFEST).write_text(json.dumps(sums, indent=2))
            shutil.rmtree(root, ignore_errors=True)
            staging.rename(root)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    return {name: root / "node_modules" / relative for name, relative in SERVED_FILES.items()}
