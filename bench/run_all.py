"""Run every benchmark script and write bench/results/latest.md: figure, ceiling, ratio, load.

    .venv/bin/python bench/run_all.py           # full sizes (long: see bench/README.md)
    .venv/bin/python bench/run_all.py --quick   # small sizes, about 5 minutes in all

Each script prints its own report; each figure it records (bench/_ceilings.record) is also
appended to a JSON-lines file that this script turns into one Markdown table. A script that
fails is noted in the table and the others still run.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
RESULTS = HERE / "results" / "latest.md"

# (script, arguments for --quick, arguments for a full run)
SCRIPTS = [
    ("transition.py", ["--quick"], []),
    ("public_pages.py", ["--seconds", "3"], []),
    ("submit_workers.py", ["--seconds", "3"], []),
    ("staff_pages.py", ["--cases", "2000", "--reports", "100000", "--seconds", "3"], ["--reuse"]),
    ("dispatch.py", ["--messages", "300"], []),
    ("sweep.py", ["--sizes", "10000,100000", "--rounds", "7"], ["--reuse"]),
    ("threshold.py", ["--quick"], []),
    ("import.py", ["--quick"], []),
    ("agenda.py", ["--rounds", "5"], []),
    ("reports.py", ["--cases", "20000", "--repeat", "5"], ["--reuse"]),
]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--only", help="comma-separated script names to run")
    args = parser.parse_args()
    wanted = set(args.only.split(",")) if args.only else None
    lines = Path(tempfile.mkstemp(prefix="bench-results-", suffix=".jsonl")[1])
    env = {**os.environ, "BENCH_RESULTS": str(lines), "PYTHONPATH": str(ROOT)}
    outcomes = []
    for script, quick, full in SCRIPTS:
        if wanted and script not in wanted:
            continue
        print(f"\n### {script} {' '.join(quick if args.quick else full)}", flush=True)
        began = time.perf_counter()
        code = subprocess.call(
            [sys.executable, str(HERE / script), *(quick if args.quick else full)],
            cwd=HERE,
            env=env,
        )
        outcomes.append((script, code, time.perf_counter() - began))
    rows = [json.loads(line) for line in lines.read_text().splitlines() if line.strip()]
    lines.unlink()
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(markdown(rows, outcomes, args.quick))
    print(f"\nwrote {RESULTS.relative_to(ROOT)}")
    return 0


def markdown(rows: list[dict], outcomes: list[tuple[str, int, float]], quick: bool) -> str:
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    out = [
        f"# Benchmark results, {now}{' (--quick sizes)' if quick else ''}",
        "",
        "| Script | Figure | Value | Ceiling | Ceiling value | Ratio | Target | Met | Load avg |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        out.append(
            f"| {r['script']} | {r['figure']} | {r['value']:,.3f} {r['unit']} | "
            f"{r['ceiling_name']} | {r['ceiling']:,.3f} | {r['ratio']:.2f} | {r['target']} | "
            f"{r['met']} | {r['load']:.2f} |"
        )
    out += ["", "| Script | Exit code | Seconds |", "|---|---|---|"]
    out += [f"| {s} | {code} | {secs:.0f} |" for s, code, secs in outcomes]
    return "\n".join(out) + "\n"


if __name__ == "__main__":
    sys.exit(main())
