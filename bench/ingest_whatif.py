"""What-if measurements for the slowest step of an ingestion run: inserting 1M typed loans into
`loans` (sql/queries/ingestion/insert_loans.sql). Measures variants of that one statement on
the same rows, each in a transaction that is rolled back, so the service's code is unchanged:

  as-is         the row-by-row insert, as the pipeline runs it below the bulk threshold
                (per-row FK check, four indexes maintained, CHECKs, the statement-level
                current_debt trigger); work_mem as configured
  work_mem      the same with SET LOCAL work_mem = '256MB' (its sort stays in memory)
  fk-after      the foreign key dropped first and added back after the insert (one set-based
                validation instead of 1M row-level RI checks); time includes the re-add
  indexes-after fk-after, and the four indexes of loans dropped first and rebuilt after
                (what the pipeline's bulk loads now do: load.py, drop_loans_keys.sql)

    .venv/bin/python bench/ingest_whatif.py [--customers N --loans N --repeat R]

The variants that drop constraints take an ACCESS EXCLUSIVE lock on loans for the statement's
duration (readers wait), where the pipeline's own LOCK ... IN EXCLUSIVE MODE lets reads go on.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import common

SQL_DIR = Path(__file__).resolve().parent / "sql"
VARIANTS = ("as-is", "work_mem", "fk-after", "indexes-after")


def bench_sql(name: str) -> str:
    return (SQL_DIR / f"{name}.sql").read_text(encoding="utf-8")


def load_once(db: str, data: Path) -> None:
    """The pipeline itself fills the database (bench/api.py's load phase)."""
    subprocess.run(
        [common.PYTHON, str(Path(__file__).with_name("api.py")), "--db", db, "--phase", "load",
         "--data", str(data)],
        cwd=common.ROOT, env=common.service_env(db), check=True, stdout=subprocess.DEVNULL,
    )  # fmt: skip


def run_variant(conn, variant: str, definitions: list[tuple[str, str, str]]) -> float:
    fk = [d for d in definitions if d[0] == "constraint" and "FOREIGN KEY" in d[2]]
    others = [d for d in definitions if d not in fk]
    with conn.cursor() as cur:
        started = time.perf_counter()
        if variant == "work_mem":
            cur.execute("SET LOCAL work_mem = '256MB'")
        if variant in ("fk-after", "indexes-after"):
            for _, name, _ in fk:
                cur.execute(f'ALTER TABLE loans DROP CONSTRAINT "{name}"')
        if variant == "indexes-after":
            for kind, name, _ in others:
                if kind == "constraint":
                    cur.execute(f'ALTER TABLE loans DROP CONSTRAINT "{name}"')
                else:
                    cur.execute(f'DROP INDEX "{name}"')
        cur.execute(bench_sql("whatif_insert"))
        if variant == "indexes-after":
            for _, _, statement in others:
                cur.execute(statement)
        if variant in ("fk-after", "indexes-after"):
            for _, _, statement in fk:
                cur.execute(statement)
        seconds = time.perf_counter() - started
    conn.rollback()
    return seconds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--loans", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--data-dir", default=str(common.DEFAULT_DATA_DIR))
    args = parser.parse_args()
    import psycopg2

    data = common.ensure_sample_files(Path(args.data_dir), args.customers, args.loans, args.seed)
    print(f"insert what-if: {args.loans:,} loans of {args.customers:,} customers")
    common.print_machine()
    results: dict[str, list[float]] = {v: [] for v in VARIANTS}
    with common.fresh_database("whatif") as db:
        load_once(db, data)
        conn = psycopg2.connect(common.database_url(db))
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute(bench_sql("whatif_setup"))
            cur.execute("VACUUM FULL ANALYZE loans")
            cur.execute("ANALYZE whatif_src")
            cur.execute(bench_sql("whatif_loans_constraints"))
            definitions = cur.fetchall()
        conn.autocommit = False
        for repetition in range(1, args.repeat + 1):
            for variant in VARIANTS:
                seconds = run_variant(conn, variant, definitions)
                results[variant].append(seconds)
                print(f"  run {repetition} {variant:14} {seconds:7.2f} s", flush=True)
                conn.autocommit = True
                with conn.cursor() as cur:  # the rolled-back rows leave dead tuples: clear them
                    cur.execute("VACUUM FULL loans")
                conn.autocommit = False
        conn.close()
    base = common.median(results["as-is"])
    print(f"\n{'variant':14} {'median s':>9} {'vs as-is':>9}   each run (s)")
    for variant in VARIANTS:
        med = common.median(results[variant])
        runs = "  ".join(f"{s:6.2f}" for s in results[variant])
        print(f"{variant:14} {med:9.2f} {med - base:+9.2f}   {runs}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
