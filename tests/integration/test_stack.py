"""The local stack as ops meet it: the CLI reports what runs, and `up` is safe to repeat."""

import subprocess
import sys

from deploy.local import stack


def test_up_is_idempotent_and_status_tells_the_truth(
    local_stack: list[stack.ServiceStatus],
) -> None:
    pids = {s.name: s.pid for s in stack.status()}
    assert all(pids.values())
    again = stack.up()
    assert {s.name: s.pid for s in again} == pids, "a second `up` must not start new processes"
    result = subprocess.run(
        [sys.executable, "-m", "pipeline.cli", "services", "status"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert any(line.startswith("kafka") and " ready " in line for line in lines)
    assert any(line.startswith("elasticsearch") and " ready " in line for line in lines)


def _our_processes() -> list[str]:
    """Command lines of live processes that run from this stack's run or cache directories."""
    from pathlib import Path

    from deploy.paths import run_dir

    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if str(run_dir()) in cmdline and "java" in cmdline:
            found.append(cmdline[:200])
    return found


def test_down_leaves_no_process_behind_and_up_brings_it_back(
    local_stack: list[stack.ServiceStatus],
) -> None:
    # Runs last in this directory (file order), so the stack is back up for whoever comes next.
    assert _our_processes(), "the stack's processes should be visible while it runs"
    statuses = stack.down()
    assert not any(s.running for s in statuses)
    assert _our_processes() == []
    assert stack.down()  # twice is fine
    statuses = stack.up()
    assert all(s.ready for s in statuses)
