"""Run every benchmark in ``bench/`` and collect their summaries (``make bench[-quick]``).

Each benchmark is a script of its own, run here in a fresh interpreter so one benchmark's
memory, caches and garbage cannot slow the next. A benchmark prints what it likes and its
figures as one JSON object on its last line; this runner shows the output as it comes, then
prints ``{"benchmarks": [<each last line>, ...]}`` as its own last line. A benchmark that exits
non-zero or ends without a JSON object appears there as ``{"bench": name, "error": ...}`` and
makes the runner exit non-zero, so CI notices a broken benchmark even though no figure is
judged here (benchmarks are noisy; goals are read by people, not asserted).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

BENCH_DIR = Path(__file__).resolve().parent
#: Modules in bench/ that support the benchmarks but are not benchmarks themselves.
NOT_BENCHMARKS = frozenset({"__init__", "common", "corpus", "inbox_seed", "run_all"})


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small runs, under a minute each")
    parser.add_argument("--only", action="append", help="run only this benchmark (repeatable)")
    args = parser.parse_args(argv)
    flags = ["--quick"] if args.quick else []
    scripts = [s for s in discover() if not args.only or s.stem in args.only]
    summaries = [run(script, flags) for script in scripts]
    print(json.dumps({"benchmarks": summaries}))
    return 1 if any("error" in s for s in summaries) else 0


def discover() -> list[Path]:
    """Every benchmark script, in name order so runs are comparable."""
    return sorted(
        path
        for path in BENCH_DIR.glob("*.py")
        if path.stem not in NOT_BENCHMARKS and not path.stem.startswith("_")
    )


def run(script: Path, flags: list[str]) -> dict[str, Any]:
    """Run one benchmark, echoing its output; its summary, or an error entry."""
    print(f"== {script.stem} {' '.join(flags)}".rstrip(), flush=True)
    command = [sys.executable, str(script), *flags]
    last = ""
    # Our own interpreter on our own scripts: no untrusted input reaches the command line.
    with subprocess.Popen(  # noqa: S603
        command,
        cwd=BENCH_DIR.parent,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},  # show progress as it happens
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        bufsize=1,
    ) as process:
        assert process.stdout is not None
        for line in process.stdout:
            print(line, end="", flush=True)
            if line.strip():
                last = line.strip()
    if process.returncode != 0:
        return {"bench": script.stem, "error": f"exit status {process.returncode}"}
    try:
        summary = json.loads(last)
    except json.JSONDecodeError:
        summary = None
    if not isinstance(summary, dict):
        return {"bench": script.stem, "error": "last line is not a JSON object"}
    return summary


if __name__ == "__main__":
    sys.exit(main())
