"""`python -m analysis collect|report|sensitivity|discover SWEEP_DIR`: results of a sweep.

collect      one dataset, SWEEP_DIR/collected/: runs/ (a row per run), steps/ (a row per run
             and month), cells/ (a row per cell), Parquet partitioned by arm
report       SWEEP_DIR/report/index.html, self-contained, with its figures as PNG beside it
sensitivity  Morris screening and Sobol indices of the experiment's sensitivity outcome,
             stored in SWEEP_DIR/sensitivity/ and shown by the next report
discover     scenario discovery (PRIM and CART) of a success definition, stored in
             SWEEP_DIR/discovery/ and shown by the next report

Bad input (a folder that is no sweep, a damaged run) gives one line on stderr and exit 2;
nothing is written then. A sweep with planned runs missing gives one line and exit 3, unless
--partial asks for what finished (the first line of the output then says it is partial).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from experiments.folder import FolderError
from experiments.store import StoreError
from runs.arguments import OneLineParser
from sim.params import ConfigError


def positive(text: str) -> int:
    """An integer ≥ 1 (argparse names the option when this refuses)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not an integer; allowed: ≥ 1") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value} is out of range; allowed: an integer ≥ 1")
    return value


def years(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number; allowed: (0, 200]") from None
    if not 0 < value <= 200:
        raise argparse.ArgumentTypeError(f"{text} is out of range; allowed: (0, 200]")
    return value


def parser() -> argparse.ArgumentParser:
    p = OneLineParser(prog="python -m analysis", description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="command", required=True)
    for name, text in (("collect", "build the tidy dataset"), ("report", "write the HTML report")):
        command = sub.add_parser(name, help=text)
        command.add_argument("sweep_dir", type=Path)
        command.add_argument(
            "--partial", action="store_true", help="use the finished runs of an unfinished sweep"
        )
    sens = sub.add_parser("sensitivity", help="Morris and Sobol sensitivity analysis")
    sens.add_argument("sweep_dir", type=Path)
    sens.add_argument("--method", choices=["morris", "sobol", "both"], default="both")
    sens.add_argument("--workers", type=positive, default=os.cpu_count() or 1)
    sens.add_argument("--years", type=years, default=None, help="simulated years per run")
    sens.add_argument("--trajectories", type=positive, default=None, help="Morris trajectories")
    sens.add_argument("--base-samples", type=positive, default=None, help="Sobol N (a power of 2)")
    sens.add_argument("--no-progress", action="store_true")
    disc = sub.add_parser("discover", help="scenario discovery: PRIM and a CART tree")
    disc.add_argument("sweep_dir", type=Path)
    disc.add_argument(
        "--partial", action="store_true", help="use the finished runs of an unfinished sweep"
    )
    disc.add_argument(
        "--success",
        default=None,
        help="a condition on outcomes, e.g. 'final_share_genuine_of_adopted >= 0.5 and "
        "mean_bureaucratization_index <= 0.5' (default: the experiment's)",
    )
    disc.add_argument("--density", type=float, default=0.8, help="density the box must reach")
    disc.add_argument("--mass-min", type=float, default=0.05, help="smallest share of cells")
    return p


PARTIAL_EXIT = 3  # a sweep with planned runs missing (rerun it, or pass --partial)


def discover(args: argparse.Namespace) -> int:
    from analysis import discovery
    from analysis.collect import collect, note_unfinished

    results = collect(args.sweep_dir)
    success = args.success or str(results.sweep.experiment.get("success") or "")
    if not success:
        raise ConfigError("discover: give --success (the experiment declares none)")
    found = discovery.discover(results, success, density=args.density, mass_min=args.mass_min)
    out = discovery.save(args.sweep_dir, found)
    print(discovery.headline(discovery.load(args.sweep_dir)))
    print(found.limits.to_string(index=False))
    print(f"results: {out}")
    note_unfinished(results)
    return 0


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        if args.command == "sensitivity":
            from analysis import sensitivity
            from analysis.collect import open_sweep

            sweep = open_sweep(args.sweep_dir)
            methods = ["morris", "sobol"] if args.method == "both" else [args.method]
            show = not args.no_progress and sys.stderr.isatty()
            sizes = {
                "years": args.years,
                "trajectories": args.trajectories,
                "base_samples": args.base_samples,
            }
            tables = sensitivity.run(sweep, methods, args.workers, show, **sizes)
            for method, table in tables.items():
                key = "mu_star" if method == "morris" else "ST"
                print(f"{method}:")
                print(table.sort_values(key, ascending=False).to_string(index=False))
            print(f"results: {args.sweep_dir / sensitivity.FOLDER}")
            return 0

        from analysis.collect import collect, note_unfinished, write_collected
        from experiments.folder import sweep_status

        status = sweep_status(args.sweep_dir) if args.sweep_dir.is_dir() else None
        if status is not None and not status.complete:
            if not args.partial:
                print(f"error: {status.line()}, or add --partial", file=sys.stderr)
                return PARTIAL_EXIT
            print(status.line())  # the first line says that the results are partial
        if args.command == "discover":
            return discover(args)
        results = collect(args.sweep_dir)
        if args.command == "collect":
            out = write_collected(results)
            print(
                f"{len(results.summary)} runs in {results.summary['cell'].nunique()} cells: {out}"
            )
        else:
            from analysis.report import build

            path = build(results)
            print(f"report: {path}")
        note_unfinished(results)
        return 0
    except (StoreError, ConfigError, FolderError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
