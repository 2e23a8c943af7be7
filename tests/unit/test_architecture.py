"""Facts about the layout anyone can check: what imports what."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PROJECT = ("schemas", "enrich", "transforms", "pipeline", "deploy", "bench", "training", "tests")


def _project_imports(path: Path) -> set[str]:
    """Top-level project packages a module imports (at module level or inside functions)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
        elif isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
    return found & set(PROJECT)


def test_the_contracts_import_nothing_of_the_project_outside_them() -> None:
    offenders = {
        str(path.relative_to(ROOT)): sorted(_project_imports(path) - {"schemas"})
        for path in (ROOT / "schemas").glob("*.py")
    }
    assert {name: found for name, found in offenders.items() if found} == {}


def test_model_code_knows_nothing_of_beam_kafka_or_elasticsearch() -> None:
    for path in (ROOT / "enrich").glob("*.py"):
        assert _project_imports(path) <= {"enrich", "schemas"}, path
        text = path.read_text()
        for library in ("apache_beam", "kafka", "elasticsearch"):
            assert f"import {library}" not in text and f"from {library}" not in text, path


def test_commands_that_run_no_pipeline_load_no_beam() -> None:
    # A fresh interpreter: this test process may have imported Beam already.
    probe = (
        "import sys, json; import pipeline.produce, pipeline.status, pipeline.dead_letters, "
        "pipeline.cli, transforms.kafka_clients; "
        "print(json.dumps(sorted(m for m in sys.modules if m.startswith('apache_beam'))))"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT, check=True
    )
    assert json.loads(done.stdout.strip().splitlines()[-1]) == []


def test_a_probe_for_beam_would_see_it_loaded() -> None:
    # The same probe on a module that does import Beam: the check above can fail.
    probe = (
        "import sys, json; import transforms.kafka_source; "
        "print(json.dumps(sorted(m for m in sys.modules if m.startswith('apache_beam'))))"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT, check=True
    )
    assert "apache_beam" in json.loads(done.stdout.strip().splitlines()[-1])


def test_no_module_keeps_mutable_state_for_the_driver_and_readers_to_share() -> None:
    # Readers may run in another process or on another host: a module-level Event, dict or
    # list in the reader's module would only work while they share the driver's process.
    for path in (ROOT / "transforms").glob("*.py"):
        name = path.name
        tree = ast.parse(path.read_text())
        for node in tree.body:
            if isinstance(node, ast.Assign | ast.AnnAssign):
                value = node.value
                # An empty container at module level is there to be filled at run time (a
                # table of constants is not).
                empty = (isinstance(value, ast.Dict) and not value.keys) or (
                    isinstance(value, ast.List | ast.Set) and not value.elts
                )
                assert not empty, (name, node.lineno)
                if isinstance(value, ast.Call):
                    called = ast.unparse(value.func)
                    assert "Event" not in called and called not in ("dict", "list", "set"), (
                        name,
                        node.lineno,
                    )
