"""Shared helpers for benchmarks: machine description, medians, and docs/benchmarks.md sections."""

from __future__ import annotations

import json
import os
import platform
import re
import statistics
import sys
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
REPORT = ROOT / "docs" / "benchmarks.md"
HEADER = """# Benchmarks

Figures printed and recorded by the scripts in `benchmarks/`. Each section says the command, the
machine and the baseline beside the figures. These machines are shared and noisy: timings are
medians, and ratios matter more than absolute numbers.
"""


def record_with_model(model: Path, key: str, decision: dict) -> None:
    """Set ``key`` in the model folder's ``kgmed.json`` (the record the model's loader reads:
    fast-path decisions, decoding), keeping the other keys."""
    path = model / "kgmed.json"
    info = json.loads(path.read_text()) if path.exists() else {}
    info[key] = decision
    path.write_text(json.dumps(info, indent=2) + "\n")


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = ""
    try:
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        mem = f", {kb / 1024 / 1024:.0f} GiB RAM"
    except (OSError, ValueError, IndexError):
        pass
    return f"{os.cpu_count()} cores ({cpu}){mem}, Python {platform.python_version()}, {platform.system()}"


def git_commit() -> str:
    from kgmed.training.runs import git_commit as full_commit

    return full_commit()[:7]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    k = (len(ordered) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def median(values: list[float]) -> float:
    return statistics.median(values)


def command_line() -> str:
    return "python " + " ".join(
        [
            str(Path(sys.argv[0]).relative_to(ROOT))
            if Path(sys.argv[0]).is_absolute()
            else sys.argv[0],
            *sys.argv[1:],
        ]
    )


def write_section(name: str, body: str) -> None:
    """Replace (or append) the section ``name`` of docs/benchmarks.md."""
    text = REPORT.read_text() if REPORT.exists() else HEADER
    start, end = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
    stamp = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    block = f"{start}\n{body.strip()}\n\n_Recorded {stamp}, commit {git_commit()}._\n{end}"
    pattern = re.compile(re.escape(start) + ".*?" + re.escape(end), re.S)
    text = (
        pattern.sub(lambda _: block, text)
        if pattern.search(text)
        else text.rstrip() + "\n\n" + block + "\n"
    )
    REPORT.write_text(text)
