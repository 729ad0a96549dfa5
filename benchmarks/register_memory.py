"""Peak memory of loading a large generated register through a recipe.

    python -m benchmarks.register_memory --rows 200000

Writes a CSV register (one project per row, its directorate as a portfolio)
and a recipe into a temporary folder, runs `valuegraph load` on it in a child
process, and reports the child's peak RSS (target < 500 MB) and its time.
"""

from __future__ import annotations

import argparse
import csv
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

RECIPE = """name: bench-register
entities:
  - kind: Project
    id: "{Ref}"
    name: "{Title}"
    properties:
      budget: {column: "Budget (£k)", type: number, scale: 1000}
      startDate: {column: "Start", type: date}
      status: {column: "Status", map: {Live: active, Closed: completed, Paused: on_hold}}
      health: {column: "RAG", map: {G: green, A: amber, R: red}, raw_as: ragText}
  - kind: Portfolio
    id: "PF-{Directorate}"
    name: "{Directorate}"
relations:
  - {from: "{Ref}", type: PART_OF, to: "PF-{Directorate}"}
"""


def write_register(path: Path, rows: int, seed: int = 3) -> None:
    rng = random.Random(seed)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["Ref", "Title", "Directorate", "Budget (£k)", "Start", "Status", "RAG"])
        for i in range(rows):
            writer.writerow([f"R{i:07}", f"Project number {i}", f"D{rng.randrange(40)}",
                             f"£{rng.randrange(10, 90000):,}", f"2026-{rng.randrange(1, 13):02}-{rng.randrange(1, 29):02}",
                             rng.choice(["Live", "Closed", "Paused"]), rng.choice(["G", "A", "R", "TBC"])])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=200_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        register, recipe = folder / "register.csv", folder / "recipe.yaml"
        write_register(register, args.rows)
        recipe.write_text(RECIPE, encoding="utf-8")
        started = time.perf_counter()
        done = subprocess.run([sys.executable, "-m", "valuegraph.cli", "load", str(register), "--recipe", str(recipe),
                               "--source", "bench", "--store", f"oxigraph:{folder / 'store'}", "--json"],
                              capture_output=True, text=True, check=False)
        seconds = time.perf_counter() - started
        peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    if done.returncode != 0:
        sys.exit(done.stderr[-2000:])
    print(f"{args.rows} rows loaded in {seconds:.1f} s; peak RSS {peak_mb:.0f} MB (target < 500 MB)")


if __name__ == "__main__":
    main()
