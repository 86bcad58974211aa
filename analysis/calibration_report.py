"""`uv run python -m analysis.calibration_report [--run DIR] [--validation DIR] [--out DIR]`.

The calibration report: the record's targets, the fitted parameters with their intervals,
simulated vs recorded schools by calendar year with bands over replicates, the fit's error, the
ABC-SMC generations, which parameters the record pins down (sensitivity), and, when a
validation run exists, what the fitted model predicts after 2010 next to the sources' figures.

Reads a calibration run folder (experiments.calibrate: proposals, trajectories, sensitivity,
summary.json) and optionally a validation folder (experiments.calibration_validate). Writes
`report.md`, PNG figures and `posterior.csv` into DIR (default docs/calibration).
"""

from __future__ import annotations

import io
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from experiments.calibrate import CHECK, INTERVAL
from experiments.calibration_abc import weighted_quantile
from experiments.calibration_sim import FREE, RECORD, base_params
from runs.arguments import OneLineParser
from runs.storage import write_atomic
from sim.kinds import EventKind
from sim.params import Params

ROOT = Path(__file__).resolve().parent.parent
COLOURS = plt.get_cmap("tab10").colors  # colour-blind-safe enough for a few lines
SOURCE_2012_SCHOOLS = 6000  # 000 l.55 and l.121: schools that had joined PEMLE (validation only)
LOW_Q, HIGH_Q = (1 - INTERVAL) / 2, 1 - (1 - INTERVAL) / 2


# ---------------------------------------------------------------------------- helpers
def markdown_table(rows: list[dict[str, Any]]) -> str:
    if not rows:
        return ""
    keys = list(rows[0])
    lines = ["| " + " | ".join(keys) + " |", "| " + " | ".join("---" for _ in keys) + " |"]
    lines += ["| " + " | ".join(str(r[k]) for k in keys) + " |" for r in rows]
    return "\n".join(lines)


def fmt(x: float, digits: int = 3) -> str:
    if x is None or (isinstance(x, float) and np.isnan(x)):
        return "–"
    return f"{x:.{digits}g}"


def save(fig: plt.Figure, path: Path) -> str:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100)
    plt.close(fig)
    write_atomic(path, buffer.getvalue())
    return path.name


def event_years(params: Params) -> list[tuple[float, str]]:
    """Calendar years of the scenario's events and of PEMLE's start, for vertical markers."""
    start = params.scenario.start_year
    marks = [(start + e.year, EventKind(e.kind).short) for e in params.scenario.events]
    if params.scenario.mandate.enabled:
        marks.append((start + params.scenario.mandate.start_year, "PEMLE"))
    return marks


def mark_events(ax: plt.Axes, marks: list[tuple[float, str]], until: float) -> None:
    for year, name in marks:
        if year <= until:
            ax.axvline(year, color="0.6", lw=0.8, ls=":")
            ax.text(
                year,
                1.0,
                f" {name}",
                rotation=90,
                va="top",
                ha="left",
                fontsize=7,
                color="0.35",
                transform=ax.get_xaxis_transform(),
            )


# ---------------------------------------------------------------------------- figures
def posterior_particles(proposals: pd.DataFrame) -> pd.DataFrame:
    last = proposals["generation"].max()
    return proposals[(proposals["generation"] == last) & proposals["kept"]]


def fit_figure(run: dict[str, pd.DataFrame], marks, out: Path) -> str:
    """Schools in the practice by calendar year: the record, the fitted values' replicates,
    and the posterior's predictive band."""
    traj, proposals = run["trajectories"], run["proposals"]
    last = posterior_particles(proposals)
    gen = int(last["generation"].iloc[0])
    fig, ax = plt.subplots(figsize=(8, 4.6), constrained_layout=True)
    post = traj[(traj["phase"] == gen) & traj["proposal"].isin(last["proposal"])]
    weight = last.set_index("proposal")["weight"]
    post = post.assign(w=post["proposal"].map(weight))
    by_step = post.groupby("calendar_year")

    def band_edge(q: float) -> pd.Series:
        return by_step.apply(
            lambda g: weighted_quantile(g["schools_adopted"].to_numpy(float), g["w"].to_numpy(), q)
        )

    lo, hi = band_edge(LOW_Q), band_edge(HIGH_Q)
    ax.fill_between(
        lo.index,
        lo.values,
        hi.values,
        color=COLOURS[0],
        alpha=0.18,
        label=f"posterior, central {INTERVAL:.0%} (kept particles × replicates)",
    )
    check = traj[traj["phase"] == CHECK].groupby("calendar_year")["schools_adopted"]
    ax.fill_between(
        check.min().index,
        check.min().values,
        check.max().values,
        color=COLOURS[1],
        alpha=0.35,
        label="fitted values: min–max of replicates",
    )
    ax.plot(
        check.mean().index,
        check.mean().values,
        color=COLOURS[1],
        lw=2,
        label="fitted values: mean of replicates",
    )
    ax.scatter(
        [t.calendar for t in RECORD],
        [t.schools for t in RECORD],
        color="black",
        zorder=5,
        s=40,
        marker="D",
        label="historical record",
    )
    for t in RECORD:
        ax.annotate(
            f"{t.label}: about {t.schools:g}",
            (t.calendar, t.schools),
            textcoords="offset points",
            xytext=(-10, 8),
            ha="right",
            fontsize=8,
        )
    ax.set_yscale("log")
    ax.set_xlabel("calendar year")
    ax.set_ylabel("schools in the practice (log scale)")
    ax.set_title("Simulated vs recorded schools in the practice")
    mark_events(ax, marks, float(check.mean().index.max()))
    ax.legend(fontsize=8, loc="lower right")
    return save(fig, out / "fit.png")


def posterior_figure(proposals: pd.DataFrame, out: Path) -> str:
    """Pairs of parameters: every proposal of the first generation (grey, the prior's cover)
    and the last generation's particles (size by weight), on the prior's unit scale."""
    first = proposals[proposals["generation"] == 0]
    last = posterior_particles(proposals)
    d = len(FREE)
    fig, axes = plt.subplots(d, d, figsize=(10, 10), constrained_layout=True)
    for i, pi in enumerate(FREE):
        for j, pj in enumerate(FREE):
            ax = axes[i, j]
            if i == j:
                ax.hist(
                    last[f"u_{pi.key}"],
                    bins=10,
                    range=(0, 1),
                    weights=last["weight"],
                    color=COLOURS[0],
                    alpha=0.8,
                )
                ax.axhline(0.1, color="0.5", ls="--", lw=1)  # the prior: 10% per bin
                ax.set_yticks([])
            else:
                ax.scatter(first[f"u_{pj.key}"], first[f"u_{pi.key}"], s=4, color="0.75")
                ax.scatter(
                    last[f"u_{pj.key}"],
                    last[f"u_{pi.key}"],
                    s=10 + 300 * last["weight"],
                    color=COLOURS[0],
                    alpha=0.7,
                )
                ax.set_ylim(0, 1)
            ax.set_xlim(0, 1)
            if i == d - 1:
                ax.set_xlabel(_axis_label(pj), fontsize=8)
            if j == 0 and i != 0:
                ax.set_ylabel(_axis_label(pi), fontsize=8)
            ax.tick_params(labelsize=7)
    fig.suptitle(
        "Posterior particles (blue, size by weight) over the prior's cover (grey); "
        "axes span each prior, 0 to 1",
        fontsize=10,
    )
    return save(fig, out / "posterior.png")


def _axis_label(p) -> str:
    scale = "log " if p.log else ""
    return f"{p.label.split(' (')[0]}\n{scale}{p.lo:g} → {p.hi:g}"


def abc_figure(proposals: pd.DataFrame, summary: dict[str, Any], out: Path) -> str:
    fig, ax = plt.subplots(figsize=(6, 3.6), constrained_layout=True)
    rng = np.random.default_rng(0)  # jitter for display only
    for g, part in proposals.groupby("generation"):
        x = g + 0.15 * rng.standard_normal(len(part))
        ax.scatter(x, part["distance"], s=6, color=np.where(part["kept"], "C0", "0.7"))
    tol = [gen["tolerance"] for gen in summary["generations"]]
    ax.plot(range(len(tol)), tol, color="black", marker="o", label="tolerance kept")
    ax.set_yscale("log")
    ax.set_xticks(range(len(tol)))
    ax.set_xlabel("ABC-SMC generation")
    ax.set_ylabel("distance (RMS log ratio)")
    ax.legend(fontsize=8)
    return save(fig, out / "abc.png")


def sensitivity_figure(sensitivity: pd.DataFrame, step: float, out: Path) -> str:
    effect = sensitivity.assign(effect=100 * np.expm1(step * sensitivity["dlog_du"]))
    grid = effect.pivot(index="label", columns="target", values="effect")
    grid = grid.loc[[p.label for p in FREE], [t.label for t in RECORD]]
    fig, ax = plt.subplots(figsize=(8.5, 3.6), constrained_layout=True)
    bound = max(1.0, float(np.nanmax(np.abs(grid.to_numpy()))))
    image = ax.imshow(grid.to_numpy(), cmap="PuOr", vmin=-bound, vmax=bound, aspect="auto")
    for (i, j), v in np.ndenumerate(grid.to_numpy()):
        ink = "white" if abs(v) > 0.6 * bound else "black"  # legible on the dark ends
        ax.text(j, i, f"{v:+.0f}%", ha="center", va="center", fontsize=9, color=ink)
    ax.set_xticks(range(grid.shape[1]), [f"schools {c}" for c in grid.columns])
    ax.set_yticks(range(grid.shape[0]), grid.index, fontsize=8)
    fig.colorbar(image, label=f"% change for +{step:.0%} of the prior range")
    ax.set_title("Each target's response to each parameter, at the fitted values", fontsize=10)
    return save(fig, out / "sensitivity.png")


# ---------------------------------------------------------------------------- validation
def validation_figures(val: dict[str, pd.DataFrame], marks, out: Path) -> list[str]:
    steps, groups = val["steps"], val["groups"]
    main_run = steps[steps["variant"] == "assumed pace"]
    fig, ax = plt.subplots(figsize=(8.5, 4.8), constrained_layout=True)
    series = [
        ("schools_adopted", "schools in the practice (genuine or on paper)"),
        ("schools_mandated", "PEMLE (mandated) schools"),
        ("pemle_genuine", "PEMLE schools in genuine practice"),
        ("pemle_surface", "PEMLE schools in surface compliance"),
    ]
    for k, (col, name) in enumerate(series):
        by = main_run.assign(**{col: main_run[col].where(main_run[col] > 0)}).groupby("year")[col]
        ax.fill_between(
            by.min().index, by.min().values, by.max().values, color=COLOURS[k], alpha=0.2
        )
        ax.plot(by.mean().index, by.mean().values, color=COLOURS[k], label=name)
    for k, (variant, part) in enumerate(
        steps[steps["variant"] != "assumed pace"].groupby("variant")
    ):
        by = part.groupby("year")["schools_adopted"].mean()
        ax.plot(
            by.index,
            by.values,
            color=COLOURS[0],
            ls=["--", ":"][k % 2],
            lw=1,
            label=f"schools in the practice, PEMLE {variant}/year",
        )
    ax.scatter(
        [2012.5],
        [SOURCE_2012_SCHOOLS],
        marker="*",
        s=160,
        color="black",
        zorder=6,
        label="sources: six thousand schools joined PEMLE (2012)",
    )
    ax.scatter(
        [t.calendar for t in RECORD],
        [t.schools for t in RECORD],
        color="black",
        marker="D",
        s=25,
        zorder=6,
        label="calibration targets",
    )
    ax.set_yscale("log")  # zero (before PEMLE) is left out
    ax.set_xlabel("calendar year")
    ax.set_ylabel("schools")
    mark_events(ax, marks, float(main_run["year"].max()))
    ax.legend(fontsize=7, loc="lower right")
    ax.set_title("After 2010, without refitting: schools and PEMLE's genuine vs surface split")
    names = [save(fig, out / "validation_schools.png")]

    fig, (a1, a2) = plt.subplots(1, 2, figsize=(11, 4), constrained_layout=True)
    for k, col in enumerate(["mastery_adopting_schools", "mastery_other_schools"]):
        by = main_run.groupby("year")[col]
        a1.fill_between(
            by.min().index, by.min().values, by.max().values, color=COLOURS[k], alpha=0.2
        )
        a1.plot(
            by.mean().index,
            by.mean().values,
            color=COLOURS[k],
            label=col.replace("_", " ").replace("mastery", "mean mastery,"),
        )
    a1.set_xlabel("calendar year")
    a1.set_ylabel("mean student mastery")
    a1.legend(fontsize=8)
    mark_events(a1, marks, float(main_run["year"].max()))
    g = groups[groups["variant"] == "assumed pace"]
    for k, (group, part) in enumerate(g.groupby("group")):
        by = part.groupby("test_year")["share_good_excellent"]
        a2.errorbar(
            by.mean().index,
            by.mean().values,
            yerr=[by.mean() - by.min(), by.max() - by.mean()],
            color=COLOURS[k],
            marker="o",
            capsize=3,
            label=GROUP_NAMES.get(group, group),
        )
    a2.set_xlabel("calendar year of the test (ENLACE)")
    a2.set_ylabel("share of students good or excellent")
    a2.legend(fontsize=8)
    mark_events(a2, marks, float(g["test_year"].max()))
    names.append(save(fig, out / "validation_learning.png"))
    return names


GROUP_NAMES = {
    "pemle": "PEMLE schools (mandated by 2013)",
    "movement_pilot": "movement and pilot schools",
    "other": "schools never in the practice",
}


def validation_tables(val: dict[str, pd.DataFrame]) -> dict[str, list[dict[str, Any]]]:
    steps, groups = val["steps"], val["groups"]
    rows = []
    for variant, part in steps.groupby("variant", sort=False):
        for year in (2012.0, 2013.0):
            at = part[np.isclose(part["year"], year)]
            if at.empty:
                continue
            rows.append(
                {
                    "PEMLE pace": variant,
                    "at": f"{year:.0f}.0",
                    "schools in the practice": _mean_range(at["schools_adopted"]),
                    "PEMLE schools": _mean_range(at["schools_mandated"]),
                    "PEMLE genuine": _mean_range(at["pemle_genuine"]),
                    "PEMLE surface": _mean_range(at["pemle_surface"]),
                    "genuine share of PEMLE teachers": _mean_range(
                        at["pemle_teacher_genuine_share"], 2
                    ),
                    "runs": len(at),
                }
            )
    learning = []
    g = groups[groups["variant"] == "assumed pace"]
    base = g[np.isclose(g["test_year"], 2010.0)].set_index(["replicate", "group"])
    measures = {
        "mean score (mastery), × 100": "mean_score",
        "share good or excellent, pp": "share_good_excellent",
    }
    for measure, col in measures.items():
        for year in (2012.0, 2013.0):
            later = g[np.isclose(g["test_year"], year)].set_index(["replicate", "group"])
            if later.empty or base.empty:
                continue
            change = 100 * (later[col] - base[col]).unstack("group")
            learning.append(
                {
                    "change in": measure,
                    "tests": f"2010 → {year - 1:.0f} (row {year:.0f}.0)",
                    "PEMLE schools": _mean_range(change["pemle"], 2),
                    "movement and pilot": _mean_range(change["movement_pilot"], 2),
                    "never in the practice": _mean_range(change["other"], 2),
                    "PEMLE − never": _mean_range(change["pemle"] - change["other"], 2),
                }
            )
    levels = []
    for group, part in g.groupby("group"):
        at = part[np.isclose(part["test_year"], 2010.0)]
        levels.append(
            {
                "group (2010 test)": GROUP_NAMES.get(group, group),
                "schools": _mean_range(at["schools"].astype(float)),
                "mean score": _mean_range(at["mean_score"], 3),
                "share good or excellent": _mean_range(at["share_good_excellent"], 2),
            }
        )
    return {"schools": rows, "learning": learning, "levels": levels}


def _mean_range(x: pd.Series, digits: int = 4, unit: str = "") -> str:
    x = x.astype(float)
    return f"{x.mean():.{digits}g}{unit} [{x.min():.{digits}g}, {x.max():.{digits}g}]"


# ---------------------------------------------------------------------------- report
def load_run(folder: Path) -> dict[str, Any]:
    missing = [
        n
        for n in (
            "proposals.parquet",
            "trajectories.parquet",
            "sensitivity.parquet",
            "summary.json",
        )
        if not (folder / n).is_file()
    ]
    if missing:
        raise FileNotFoundError(f"{folder}: not a calibration run (missing {missing[0]})")
    return {
        "proposals": pd.read_parquet(folder / "proposals.parquet"),
        "trajectories": pd.read_parquet(folder / "trajectories.parquet"),
        "sensitivity": pd.read_parquet(folder / "sensitivity.parquet"),
        "summary": json.loads((folder / "summary.json").read_text()),
    }


def load_validation(folder: Path | None) -> dict[str, Any] | None:
    if folder is None or not (folder / "steps.parquet").is_file():
        return None
    return {
        "steps": pd.read_parquet(folder / "steps.parquet"),
        "groups": pd.read_parquet(folder / "groups.parquet"),
        "summary": json.loads((folder / "summary.json").read_text()),
    }


def write_report(run: dict[str, Any], val: dict[str, Any] | None, out: Path) -> Path:
    summary = run["summary"]
    cal = summary["calibrated"]["calibration"]
    params = base_params(cal["overrides"])
    marks = event_years(params)
    figures = {
        "fit": fit_figure(run, marks, out),
        "posterior": posterior_figure(run["proposals"], out),
        "abc": abc_figure(run["proposals"], summary, out),
        "sensitivity": sensitivity_figure(
            run["sensitivity"], summary["settings"]["sensitivity_step"], out
        ),
    }
    last = posterior_particles(run["proposals"])
    posterior_csv = last[["proposal_id", "weight", "distance", *[p.key for p in FREE]]]
    write_atomic(out / "posterior.csv", posterior_csv.to_csv(index=False).encode())

    targets = [
        {
            "year": t["year"],
            "model row (calendar year)": fmt(t["calendar_year"], 6),
            "recorded schools": f"about {t['recorded']:g}",
            "simulated, mean of replicates": fmt(t["simulated_mean"], 4),
            "simulated, min–max": f"{t['simulated_min']:g}–{t['simulated_max']:g}",
            "relative error": f"{100 * t['relative_error']:+.0f}%",
            "source": t["source"],
        }
        for t in cal["targets"]
    ]
    parameters = [
        {
            "parameter": f"`{r['key']}`",
            "meaning": r["label"],
            "prior": f"{r['prior_scale']} [{r['prior'][0]:g}, {r['prior'][1]:g}]",
            "fitted": f"{r['estimate']:.4g}",
            "posterior median": f"{r['median']:.4g}",
            f"{INTERVAL:.0%} interval": f"[{r['lo']:.4g}, {r['hi']:.4g}]",
            "narrowed": f"{100 * r['contraction']:.0f}%",
        }
        for r in cal["parameters"]
    ]
    generations = [
        {
            "generation": g["index"],
            "proposals": g["proposed"],
            "kept": g["kept"],
            "tolerance (RMS log ratio)": fmt(g["tolerance"]),
            "effective sample size": fmt(g["effective_size"]),
        }
        for g in summary["generations"]
    ]
    step = summary["settings"]["sensitivity_step"]
    sens = run["sensitivity"].assign(effect=100 * np.expm1(step * run["sensitivity"]["dlog_du"]))
    sensitivity_rows = []
    for p in FREE:
        part = sens[sens["key"] == p.key].set_index("target")
        sensitivity_rows.append(
            {"parameter": p.label}
            | {f"schools {t.label}": f"{part.loc[t.label, 'effect']:+.0f}%" for t in RECORD}
        )
    ident = summary["identifiability"]
    eigen_rows = [
        {
            "combination": k + 1,
            "eigenvalue of JᵀJ": fmt(v),
            **{p.label: fmt(x, 2) for p, x in zip(FREE, vec, strict=True)},
        }
        for k, (v, vec) in enumerate(zip(ident["eigenvalues"], ident["eigenvectors"], strict=True))
    ]
    written = (
        "`configs/calibrated/historical.yaml`"
        if cal["mode"] == "full"
        else "`historical.yaml` beside the run's records (only the full calibration on "
        "`historical` replaces the committed fit)"
    )
    lines = [
        "# Calibration report: the historical scenario against the record",
        "",
        f"Generated by `uv run python -m analysis.calibration_report` from a {cal['mode']} "
        f"calibration (`uv run python -m experiments.calibrate`): system `{cal['system']}`, "
        f"{summary['runs']} simulations ({cal['replicates_per_proposal']} replicates per "
        f"proposal), {summary['wall_seconds']:.0f} s wall on {summary['workers']} workers "
        f"({summary.get('cpu_seconds', float('nan')):.0f} CPU s)"
        f"{_resumed(summary)}, seed {cal['seed']}. "
        "How the calibration works and why: [docs/calibration.md](../calibration.md).",
        "",
        "## Targets",
        "",
        'The record (brief, "The historical record"), read as schools with at least one teacher '
        "in the practice (`schools_adopted`). Simulated values are the fitted values rerun with "
        f"{cal['fit']['replicates']} fresh replicates.",
        "",
        markdown_table(targets),
        "",
        "## Fitted parameters",
        "",
        f"Written to {written}. Fitted value: {cal['estimate']}; "
        f'interval: central {INTERVAL:.0%} of the weighted particles. "Narrowed" is 1 − the '
        "interval's width over the prior's (on the prior's scale): near 0%, the record says "
        "nothing about the parameter; near 100%, it pins it down.",
        "",
        markdown_table(parameters),
        "",
        f"The pilot's size fixes its pace: {cal['pilot']['target']} schools over two years, "
        f"{cal['pilot']['pace']:g} a year.",
        "",
        f"![posterior]({figures['posterior']})",
        "",
        "## Fit",
        "",
        f"Error of the fit: RMS of log(simulated / recorded) over the three targets = "
        f"**{cal['fit']['rms_log_error']:.3g}** (a factor of "
        f"{np.exp(cal['fit']['rms_log_error']):.2f} on a typical target).",
        "",
        f"![fit]({figures['fit']})",
        "",
        "ABC-SMC generations:",
        "",
        markdown_table(generations),
        "",
        f"![abc]({figures['abc']})",
        "",
        "## Sensitivity: what the record pins down",
        "",
        f"Change in each target when one parameter moves by +{step:.0%} of its prior range "
        "around the fitted values (central differences, common random numbers, "
        f"{summary['settings']['sensitivity_replicates']} replicates per side):",
        "",
        markdown_table(sensitivity_rows),
        "",
        f"![sensitivity]({figures['sensitivity']})",
        "",
        "Combinations of parameters (unit-range scale) ranked by how strongly the three targets "
        "constrain them (eigenvectors of JᵀJ, J the matrix above in log units). Three targets "
        "can pin at most three combinations; a near-zero eigenvalue is a direction the record "
        "leaves free.",
        "",
        markdown_table(eigen_rows),
        "",
    ]
    if val is not None:
        tables = validation_tables(val)
        vfig = validation_figures(val, marks, out)
        vs = val["summary"]
        lines += [
            "## Validation: after 2010, without refitting",
            "",
            f"`uv run python -m experiments.calibration_validate`: the calibrated scenario, "
            f"{vs['replicates']} replicates at the assumed PEMLE pace ({vs['pace']:g} schools a "
            f"year) and {vs['variant_replicates']} at each of "
            f"{', '.join(f'{p:g}' for p in vs['pace_variants'])}; {vs['runs']} runs in "
            f"{vs['wall_seconds']:.0f} s. Mean [min, max] over replicates. Discussion: "
            "[docs/validation.md](../validation.md).",
            "",
            "Schools (the sources: six thousand had joined PEMLE by 2012):",
            "",
            markdown_table(tables["schools"]),
            "",
            f"![validation schools]({vfig[0]})",
            "",
            "Learning: change between yearly tests in the student-weighted mean score and in the "
            "share of students at ENLACE good or excellent (the sources: the share grew more in "
            "PEMLE schools than in others, DGDGIE 2012). Groups are fixed at the end of the run.",
            "",
            markdown_table(tables["learning"]),
            "",
            "Where each group stood at the 2010 test, before PEMLE:",
            "",
            markdown_table(tables["levels"]),
            "",
            f"![validation learning]({vfig[1]})",
            "",
        ]
    path = out / "report.md"
    write_atomic(path, "\n".join(lines).encode())
    return path


def _resumed(summary: dict[str, Any]) -> str:
    """A resumed calibration's wall and CPU time are its last invocation's only: say so."""
    resumed = int(summary.get("resumed_runs", 0))
    if not resumed:
        return ""
    return (
        f" in its last invocation, which took {resumed} of them from the journal of an earlier one"
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = OneLineParser(prog="python -m analysis.calibration_report")
    parser.add_argument("--run", type=Path, default=ROOT / "outputs/calibration/historical")
    parser.add_argument(
        "--validation",
        type=Path,
        default=None,
        help="validation folder (default: none for a tiny run, else "
        "outputs/calibration/validation when it exists)",
    )
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "calibration")
    args = parser.parse_args(argv)
    try:
        run = load_run(args.run)
    except FileNotFoundError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    validation = args.validation
    if validation is None and run["summary"]["settings"]["name"] == "full":
        validation = ROOT / "outputs" / "calibration" / "validation"
    path = write_report(run, load_validation(validation), args.out)
    print(f"wrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
