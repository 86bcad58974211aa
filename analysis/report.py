"""A self-contained HTML report of a sweep (figures embedded), with the figures also as PNG.

Sections (each a <section> with a stable id): overview, comparison (means and 95% CIs per
cell), effects (paired differences and Hedges' g against the contrast's reference), adoption
(genuine vs surface, bands), heatmap (bureaucratization over the two main axes), survival
(after a reversal), sensitivity (Morris and Sobol, when computed), notes.
"""

from __future__ import annotations

import math
from html import escape
from pathlib import Path
from typing import Any

import pandas as pd
from omegaconf import OmegaConf

from analysis import figures, sensitivity, stats
from analysis.collect import Results
from runs.storage import write_atomic

REPORT = "report"
SECTIONS = (
    "overview",
    "comparison",
    "effects",
    "adoption",
    "heatmap",
    "survival",
    "sensitivity",
    "notes",
)

STYLE = """
body{font-family:system-ui,sans-serif;max-width:1150px;margin:2em auto;padding:0 1em;color:#222}
h1{margin-bottom:.2em} .question{font-size:1.1em;color:#444}
table{border-collapse:collapse;font-size:.85em;margin:.5em 0}
th,td{border:1px solid #ccc;padding:.25em .5em;text-align:right}
th:first-child,td:first-child{text-align:left} th{background:#f2f2f2}
img{max-width:100%} .note{color:#555;font-size:.9em} dt{font-weight:600} dd{margin:0 0 .4em 1em}
"""


def fmt(x: float) -> str:
    if x is None or (isinstance(x, float) and (math.isnan(x) or math.isinf(x))):
        return "—" if x is None or math.isnan(x) else ("∞" if x > 0 else "−∞")
    return f"{x:.3g}"


def html_table(df: pd.DataFrame, cell: Any) -> str:
    head = "".join(f"<th>{escape(str(c))}</th>" for c in df.columns)
    body = []
    for row in df.itertuples(index=False):
        tds = "".join(f"<td>{escape(cell(v))}</td>" for v in row)
        body.append(f"<tr>{tds}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def ci_text(v: Any) -> str:
    if isinstance(v, tuple) and len(v) == 3:
        m, lo, hi = v
        return f"{fmt(m)} [{fmt(lo)}, {fmt(hi)}]" if not math.isnan(lo) else fmt(m)
    if isinstance(v, float):
        return fmt(v)
    return str(v)


def _by_cell(comp: pd.DataFrame) -> pd.DataFrame:
    """The long comparison as shown: one row per cell, its runs, a (mean, lo, hi) per outcome."""
    cells = list(dict.fromkeys(comp["cell"]))
    shown = pd.DataFrame({"cell": cells, "n": comp.groupby("cell")["n"].max()[cells].to_numpy()})
    for col, rows in comp.groupby("outcome", sort=False):
        ci = {r.cell: (r.mean, r.lo, r.hi) for r in rows.itertuples()}
        shown[stats.OUTCOMES[col]] = [ci.get(c, (math.nan,) * 3) for c in cells]
    return shown


def section(sid: str, title: str, body: str) -> str:
    return f'<section id="{sid}"><h2>{escape(title)}</h2>{body}</section>'


def figure(path: Path | None, alt: str) -> str:
    if path is None:
        return ""
    return f'<figure><img src="{figures.as_data_uri(path)}" alt="{escape(alt)}"></figure>'


def note(text: str) -> str:
    return f'<p class="note">{escape(text)}</p>'


def build(results: Results, out_dir: Path | None = None) -> Path:
    """Write SWEEP/report/index.html and its PNG figures; returns the HTML file."""
    sweep = results.sweep
    out = out_dir or sweep.path / REPORT
    exp = sweep.experiment
    summary, keys = results.summary, results.label_keys
    table = stats.cells(summary, keys)
    key = exp.contrast.key if exp.contrast.key in keys else None
    reference = exp.contrast.reference
    parts = [overview(results, table)]

    comp = stats.comparison(summary, keys)
    parts.append(
        section(
            "comparison",
            "Comparison by scenario and setting",
            note(
                f"Mean over replicates with its {stats.LEVEL:.0%} confidence interval "
                "(t distribution); final values unless said otherwise."
            )
            + html_table(_by_cell(comp), ci_text),
        )
    )

    eff = stats.effects(summary, keys, key, reference)
    body = note(
        f"Each setting against the one with {key} = {stats.show(reference)} and the same other "
        "values: mean paired difference over replicates (same seeds) with its 95% CI, and "
        "Hedges' g (about 0.2 small, 0.5 medium, 0.8 large)."
    )
    body += html_table(eff, ci_text) if not eff.empty else note("No pair of cells to compare.")
    parts.append(section("effects", "Effect sizes", body))

    png = figures.adoption(results.steps, table, keys, key, out / "adoption.png")
    parts.append(
        section(
            "adoption",
            "Adoption: genuine practice and surface compliance",
            note("Schools by state over time; line: mean over replicates, band: 95% CI.")
            + figure(png, "adoption curves"),
        )
    )

    png, notes = figures.heatmap(summary, table, list(exp.axes), key, out / "bureaucratization.png")
    body = note(
        "Mean bureaucratization index over the run (share of paperwork supervision, cascade "
        "loss, coach overload, unsheltered adopters), averaged over replicates and any other "
        "swept key."
    )
    body += figure(png, "bureaucratization heatmap") + "".join(note(n) for n in notes)
    parts.append(section("heatmap", "Bureaucratization risk over the main axes", body))

    png = figures.survival(summary, table, out / "survival.png")
    body = (
        figure(png, "survival after reversal")
        if png is not None
        else note("No run in this sweep withdrew support (scenario.reversal_year is null).")
    )
    parts.append(section("survival", "Survival after reversal", body))
    parts.append(sensitivity_section(results, out))
    parts.append(notes_section())

    title = f"{exp.title} — {sweep.name}"
    doc = (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8">'
        f"<title>{escape(title)}</title><style>{STYLE}</style></head><body>"
        f"<header><h1>{escape(str(exp.title))}</h1>"
        f'<p class="question">{escape(str(exp.question))}</p></header>'
        + "".join(parts)
        + "</body></html>"
    )
    path = out / "index.html"
    write_atomic(path, doc.encode())
    return path


def overview(results: Results, table: pd.DataFrame) -> str:
    sweep, summary = results.sweep, results.summary
    cfg = sweep.config
    first = summary.iloc[0]
    arms = {
        name: ", ".join(str(o) for o in spec.get("overrides", []))
        for name, spec in (sweep.experiment.arms or {}).items()
    }
    items = {
        "experiment": sweep.name,
        "sweep folder": str(sweep.path),
        "system": str(first["system"]),
        "years simulated": f"{_years(results):g}",
        "replicates per cell": str(summary.groupby("cell").size().max()),
        "root seed": str(cfg.seed),
        "cells": str(len(table)),
        "finished runs": str(len(summary)),
        "unfinished runs (left out)": str(results.unfinished),
        "swept": ", ".join(results.label_keys),
        **{f"arm {k}": v for k, v in arms.items()},
    }
    dl = "".join(f"<dt>{escape(k)}</dt><dd>{escape(v)}</dd>" for k, v in items.items())
    return section("overview", "Overview", f"<dl>{dl}</dl>")


def _years(results: Results) -> float:
    steps = results.steps
    return float(steps["year"].max() - steps["year"].min())


def sensitivity_section(results: Results, out: Path) -> str:
    tables = sensitivity.load(results.sweep.path)
    spec = results.sweep.experiment.sensitivity
    if not tables:
        return section(
            "sensitivity",
            "Sensitivity analysis",
            note(
                "Not computed for this sweep. Run `uv run python -m analysis sensitivity "
                f"{results.sweep.path}` (Morris screening and Sobol indices of "
                f"{spec.outcome}), then build the report again."
            ),
        )
    outcome = str(next(iter(tables.values()))["outcome"].iloc[0])
    png = figures.sensitivity(
        tables.get("morris"), tables.get("sobol"), outcome, out / "sensitivity.png"
    )
    ranges = "; ".join(
        f"{k} ∈ [{fmt(lo)}, {fmt(hi)}]"
        for k, (lo, hi) in OmegaConf.to_container(spec.parameters).items()
    )
    body = note(
        f"Outcome: {outcome}, at the sweep's first cell of arm {spec.arm or 'the first'}. "
        f"Ranges: {ranges}. "
        "Morris μ*: mean absolute elementary effect (screening); Sobol: share of the outcome's "
        "variance due to a parameter alone (first order) or with its interactions (total "
        "order), with 95% bootstrap confidence intervals. Small samples give wide intervals."
    ) + figure(png, "sensitivity ranking")
    for method, df in tables.items():
        shown = df.drop(columns=["outcome"]).sort_values(
            "mu_star" if method == "morris" else "ST", ascending=False
        )
        body += f"<h3>{escape(method.capitalize())}</h3>" + html_table(shown, _num)
    return section("sensitivity", "Sensitivity analysis", body)


def _num(v: Any) -> str:
    return fmt(float(v)) if isinstance(v, (int, float)) and not isinstance(v, bool) else str(v)


def notes_section() -> str:
    return section(
        "notes",
        "How to read this report",
        (
            "<ul><li>A cell is one combination of the swept values; each runs the same replicate "
            "seeds, spawned from the root seed, so cells differ only by their settings.</li>"
            "<li>Genuine practice: adopters whose practice mastery reaches the threshold; surface "
            "compliance: adopters on paper below it (docs/ODD.md).</li>"
            "<li>Confidence intervals describe the model's run-to-run variation, not uncertainty "
            "about Mexico's schools: they narrow with more replicates.</li>"
            "<li>An arm that ignores a swept key (for example voluntary growth and the mandate's "
            "pace) is run once and compared with every value of that key.</li></ul>"
        ),
    )
