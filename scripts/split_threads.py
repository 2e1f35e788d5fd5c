"""Fixed train/test split by thread for the triage labels: ``python scripts/split_threads.py``.

Reads every ``data/triage/labels/*.jsonl`` file and writes ``data/triage/labels/splits.json``
(``{"seed": ..., "test_fraction": ..., "test_threads": [...]}``). A whole thread goes to test or to
train, never both, so a model cannot meet the other half of a conversation it is judged on.

Why a hash and not a shuffle: each thread is placed by ``sha256(f"{seed}:{source}:{thread}")``
alone, so labelling more messages later never moves an existing thread from train to test (a
shuffle would reshuffle everything as soon as one thread is added). With the seed fixed the
output is identical on every machine. ``--check`` verifies the committed file is up to date.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path

LABELS_DIR = Path(__file__).resolve().parent.parent / "data" / "triage" / "labels"
SEED = 6
TEST_FRACTION = 0.25
_BUCKETS = 10_000


def threads_by_source(labels_dir: Path) -> set[tuple[str, str]]:
    """Every ``(source, thread)`` pair that has at least one labelled message."""
    found: set[tuple[str, str]] = set()
    for path in sorted(labels_dir.glob("*.jsonl")):
        with path.open(encoding="utf-8") as lines:
            for number, line in enumerate(lines, start=1):
                if not line.strip():
                    continue
                try:
                    row = json.loads(line)
                    found.add((str(row["source"]), str(row["thread"])))
                except (ValueError, KeyError) as exc:
                    raise SystemExit(f"{path.name}:{number}: not a label row ({exc})") from exc
    return found


def is_test(source: str, thread: str, seed: int = SEED, fraction: float = TEST_FRACTION) -> bool:
    """Whether a thread belongs to the test split; depends on nothing but its own id."""
    digest = hashlib.sha256(f"{seed}:{source}:{thread}".encode()).hexdigest()
    return int(digest, 16) % _BUCKETS < fraction * _BUCKETS


def held_out_threads(labels_dir: Path = LABELS_DIR) -> list[str]:
    """The sorted test threads for the label files in ``labels_dir``."""
    pairs = threads_by_source(labels_dir)
    return sorted({thread for source, thread in pairs if is_test(source, thread)})


def build(test: list[str]) -> dict[str, object]:
    """The split document written to ``splits.json``."""
    return {
        "seed": SEED,
        "test_fraction": TEST_FRACTION,
        "method": "sha256(seed:source:thread) mod 10000 < fraction*10000",
        "test_threads": test,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if splits.json is stale")
    args = parser.parse_args(argv)
    test = held_out_threads()
    text = json.dumps(build(test), indent=1) + "\n"
    target = LABELS_DIR / "splits.json"
    if args.check:
        if not target.exists() or target.read_text(encoding="utf-8") != text:
            print("splits.json is missing or stale: run scripts/split_threads.py", file=sys.stderr)
            return 1
        return 0
    target.write_text(text, encoding="utf-8")
    print(f"{len(test)} test threads written to {target}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
