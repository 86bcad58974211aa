"""A self-contained HTML report of a sweep (figures embedded), with the figures also as PNG.

Sections (each a <section> with a stable id): overview (with a warning when replicates are
few), headline (the answer to the experiment's question, with its contrast and interval),
comparison (means with intervals that stay inside each outcome's range), effects (paired
differences, and Hedges' g when replicates suffice), robustness (regret and satisficing of the
arms), discovery (PRIM box and CART tree, when computed), adoption (small multiples), heatmap
(one per key outcome, diverging around the reference), survival (after a reversal), sensitivity
(Morris and Sobol, when computed), notes.
"""

from __future__ import annotations

import math
from html import escape
from pathlib import Path
from typing import Any

import pandas as pd
from omegaconf import OmegaConf

from analysis import discovery, figures, robustness, sensitivity, stats, words
from analysis.collect import Results
from runs.storage import write_atomic

REPORT = "report"
SECTIONS = (
    "overview",
    "headline",
    "comparison",
    "effects",
    "robustness",
    "discovery",
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
.warning{background:#fff4e0;border-left:4px solid #E69F00;padding:.5em 1em}
.answer{font-size:1.05em;background:#eef5fb;border-left:4px solid #0072B2;padding:.5em 1em}
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
    if isinstance(v, tuple) and len(v) == 5:  # a posterior ensemble: mean [seeds] (record)
        m, seeds_lo, seeds_hi, record_lo, record_hi = v
        return f"{fmt(m)} [{fmt(seeds_lo)}, {fmt(seeds_hi)}] ({fmt(record_lo)}, {fmt(record_hi)})"
    if isinstance(v, float):
        return fmt(v)
    return str(v)


def _by_cell(comp: pd.DataFrame) -> pd.DataFrame:
    """The long comparison as shown: one row per cell, its runs, a (mean, lo, hi) per outcome,
    or in a posterior ensemble (mean, seeds_lo, seeds_hi, record_lo, record_hi)."""
    cells = list(dict.fromkeys(comp["cell"]))
    shown = pd.DataFrame({"cell": cells, "n": comp.groupby("cell")["n"].max()[cells].to_numpy()})
    parts = ["mean", *stats.SPREADS] if "record_lo" in comp else ["mean", "lo", "hi"]
    for col, rows in comp.groupby("outcome", sort=False):
        ci = {r["cell"]: tuple(r[parts]) for _, r in rows.iterrows()}
        shown[stats.OUTCOMES[col]] = [ci.get(c, (math.nan,) * len(parts)) for c in cells]
    return shown


def comparison_note(summary: pd.DataFrame) -> str:
    """What the comparison table's numbers are."""
    if not stats.is_ensemble(summary):
        return (
            f"Mean over replicates with its {stats.LEVEL:.0%} interval (percentile "
            "bootstrap: it stays inside each outcome's range, counts ≥ 0 and shares in "
            "[0, 1]); final values unless said otherwise."
        )
    return (
        "Mean over every parameter draw and seed, then two 95% spreads, both cut to the "
        "outcome's range: [seeds] where runs with the same parameter draw fall (chance alone, "
        "pooled over the draws), (record) where the draws' expected outcomes fall (the spread "
        "between draw means, their seed noise taken out): what the historical record leaves "
        "unknown. Final values unless said otherwise."
    )


def effects_note(summary: pd.DataFrame, key: str | None, reference: Any) -> str:
    text = (
        f"Each setting against the one with {key} = {stats.show(reference)} and the same other "
        "values: mean paired difference over replicates (same seeds) with its 95% bootstrap "
        "interval, and Hedges' g (about 0.2 small, 0.5 medium, 0.8 large), shown only with at "
        f"least {stats.MIN_REPLICATES} replicates."
    )
    if stats.is_ensemble(summary):
        text += (
            " In this posterior ensemble runs pair by parameter draw and seed; the interval is "
            "the t interval over the draws' mean differences, and the column marked 'record' "
            "gives where 95% of the draws' expected differences fall (seed noise taken out): "
            "the uncertainty the historical record leaves, most of which both settings share "
            "and the pairing cancels."
        )
    return text


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
            note(comparison_note(summary)) + html_table(_by_cell(comp), ci_text),
        )
    )

    eff = stats.effects(summary, keys, key, reference)
    body = note(effects_note(summary, key, reference))
    body += html_table(eff, ci_text) if not eff.empty else note("No pair of cells to compare.")
    parts.append(section("effects", "Effect sizes", body))

    ranking = robustness_table(results)
    found = discovery.load(sweep.path)
    parts.insert(1, headline_section(results, table, key, reference, eff, ranking, found))
    parts.append(robustness_section(results, ranking))
    parts.append(discovery_section(results, found, out))

    png = figures.adoption(results.steps, table, keys, key, out / "adoption.png")
    parts.append(
        section(
            "adoption",
            "Adoption: genuine practice and surface compliance",
            note(
                "Schools by state over time, a panel per setting (or per arm when there are many)."
            )
            + figure(png, "adoption curves, small multiples"),
        )
    )
    parts.append(heatmap_section(results, table, key, reference, out))

    png = figures.survival(summary, table, out / "survival.png")
    body = (
        figure(png, "survival after reversal")
        if png is not None
        else note("No run in this sweep withdrew support (scenario.reversal_year is null).")
    )
    parts.append(section("survival", "Survival after reversal", body))
    parts.append(sensitivity_section(results, out))
    parts.append(notes_section(summary))

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
        **_ensemble_items(summary, cfg),
        "root seed": str(cfg.seed),
        "cells": str(len(table)),
        "finished runs": str(len(summary)),
        "unfinished runs (left out)": str(results.unfinished),
        **_plan_items(results),
        "swept": ", ".join(results.label_keys),
        **{f"arm {k}": v for k, v in arms.items()},
    }
    dl = "".join(f"<dt>{escape(k)}</dt><dd>{escape(v)}</dd>" for k, v in items.items())
    status = results.status
    warning = (
        ""
        if status is None or status.complete
        else f'<p class="partial"><strong>{escape(status.line())}</strong></p>'
    )
    return section("overview", "Overview", f"{warning}<dl>{dl}</dl>" + adequacy_warning(summary))


def _ensemble_items(summary: pd.DataFrame, cfg: Any) -> dict[str, str]:
    """A posterior ensemble's draws (runs per cell = draws × replicates)."""
    if not stats.is_ensemble(summary):
        return {}
    return {
        "posterior": f"{cfg.get('posterior')}: {summary['draw'].nunique()} parameter draws × "
        f"{summary['replicate'].nunique()} replicates per cell (runs per cell above)",
    }


def _plan_items(results: Results) -> dict[str, str]:
    """Planned against finished (experiments.folder.sweep_status)."""
    status = results.status
    if status is None:
        return {"planned runs": "unknown (no plan.json in the sweep folder)"}
    return {
        "planned runs": f"{status.plan.planned_runs} in {len(status.plan.cells)} cells",
        "missing runs": str(len(status.missing)),
        "sweep": "complete" if status.complete else "PARTIAL",
    }


def adequacy_warning(summary: pd.DataFrame) -> str:
    """A visible warning when some cell has fewer replicates than the report needs."""
    fewest = int(summary.groupby("cell").size().min())
    if fewest >= stats.MIN_REPLICATES:
        return ""
    return (
        f'<p class="warning">Only {fewest} replicates in some cells (this report wants at least '
        f"{stats.MIN_REPLICATES}): intervals are wide and unstable, and standardized effects "
        "(Hedges' g) are not shown. Raise <code>replicates</code> and run the sweep again; "
        "finished runs are kept.</p>"
    )


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


def notes_section(summary: pd.DataFrame) -> str:
    ensemble_note = (
        "<li>This sweep is a posterior ensemble: every cell runs the same parameter draws from "
        "the calibration's posterior, each with every seed. The record's spread says how far "
        "the expected outcome moves over the parameter sets the historical record allows; it "
        "does not narrow with more replicates or draws (docs/sweeps.md).</li>"
        if stats.is_ensemble(summary)
        else ""
    )
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
            + ensemble_note
            + "<li>An arm that ignores a swept key (for example voluntary growth and the "
            "mandate's pace) is run once and compared with every value of that key.</li></ul>"
        ),
    )


def key_outcomes(results: Results) -> list[str]:
    wanted = [str(o) for o in results.sweep.experiment.get("key_outcomes") or []]
    return [o for o in wanted if o in results.summary] or ["final_schools_genuine"]


def success_of(results: Results) -> str | None:
    text = results.sweep.experiment.get("success")
    return str(text) if text else None


def robustness_table(results: Results) -> pd.DataFrame:
    outcome = str(results.sweep.experiment.objective.outcome)
    keys = [k for k in results.label_keys if k != "replicate"]
    return robustness.table(results.summary, keys, outcome, success_of(results))


def headline_section(
    results: Results,
    table: pd.DataFrame,
    key: str | None,
    reference: Any,
    eff: pd.DataFrame,
    ranking: pd.DataFrame,
    found: dict[str, Any] | None,
) -> str:
    """The answer first: the biggest contrast on the first key outcome, the most robust arm, and
    where success is likely (when discovery has been run)."""
    outcome = key_outcomes(results)[0]
    label = words.outcome(outcome)
    lines = []
    column = f"Δ {stats.OUTCOMES.get(outcome, label)}"
    if not eff.empty and column in eff:
        best = eff.loc[eff[column].map(lambda v: v[0]).idxmax()]
        m, lo, hi = best[column]
        over = (
            "paired runs, 95% t interval over the draws"
            if stats.is_ensemble(results.summary)
            else "replicates, 95% bootstrap interval"
        )
        text = (
            f"Largest gain in {label} against {key} = {stats.show(reference)}: "
            f"{best['cell']} against {best['against']}, {m:+.3g} [{lo:.3g}, {hi:.3g}] "
            f"(mean paired difference over {best['n']} {over})."
        )
        if f"{column}, record" in best:
            _, rlo, rhi = best[f"{column}, record"]
            text += (
                f" Across what the historical record leaves unknown, 95% of the parameter "
                f"draws give an expected difference in [{rlo:.3g}, {rhi:.3g}]."
            )
        lines.append(text)
        worst = eff.loc[eff[column].map(lambda v: v[0]).idxmin()]
        if worst["cell"] != best["cell"]:
            m, lo, hi = worst[column]
            lines.append(f"Smallest: {worst['cell']}, {m:+.3g} [{lo:.3g}, {hi:.3g}].")
    lines += average_contrasts(results, table, key, reference, outcome)
    if not ranking.empty:
        top = ranking.iloc[0]
        m, lo, hi = top["mean regret"]
        sat = top["satisficing"]
        text = (
            f"Most robust arm: {top['arm']}, mean regret in "
            f"{words.outcome(str(results.sweep.experiment.objective.outcome))} "
            f"{m:.3g} [{lo:.3g}, {hi:.3g}] across {ranking.attrs['states']} states of the world"
        )
        if not math.isnan(sat[0]):
            text += (
                f"; it meets the success definition in {sat[0]:.0%} "
                f"[{sat[1]:.0%}, {sat[2]:.0%}] of runs"
            )
        lines.append(text + ".")
    if found is not None:  # where success lies answers the question best: it goes first
        lines.insert(0, discovery.headline(found))
    if not lines:
        lines.append("No contrast to report: the sweep has no reference cell to compare with.")
    body = "".join(f'<p class="answer">{escape(t)}</p>' for t in lines)
    return section("headline", "The answer", body)


def robustness_section(results: Results, ranking: pd.DataFrame) -> str:
    if ranking.empty:
        return section(
            "robustness", "Robustness", note("Robustness compares arms: this sweep has one.")
        )
    outcome = words.outcome(str(results.sweep.experiment.objective.outcome))
    success = success_of(results)
    text = (
        f"A state of the world is a setting of everything but the arm "
        f"({ranking.attrs['states']} here). Regret: in each state, the best arm's {outcome} "
        "minus this arm's, paired replicate by replicate (same seeds); mean and worst over states. "
        + (f"Satisficing: share of runs with {discovery.in_words(success)}. " if success else "")
        + "Intervals: 95%, from resampling replicates. Ranked by mean regret."
    )
    return section(
        "robustness", "Robustness of the arms", note(text) + html_table(ranking, ci_text)
    )


def discovery_section(results: Results, found: dict[str, Any] | None, out: Path) -> str:
    if found is None:
        success = success_of(results) or "OUTCOME >= VALUE"
        return section(
            "discovery",
            "Scenario discovery",
            note(
                f"Not computed for this sweep. Run `uv run python -m analysis discover "
                f'{results.sweep.path} --success "{success}"`, then build the report again.'
            ),
        )
    png = figures.trajectory(found["trajectory"], int(found["chosen"]), out / "discovery.png")
    body = f'<p class="answer">{escape(discovery.headline(found))}</p>'
    body += note(
        f"PRIM (EMA Workbench) on {found['cells']} settings, each with its probability of "
        f"success over {found['replicates']}+ replicates. The chosen box (circled on the "
        "trajectory) is the one with the largest coverage among those with density ≥ the "
        "asked density (0.8 by default); restrictions its quasi-p-value does not support "
        "(above 0.05) are then dropped, which can lower the density a little. Intervals: 95%, "
        "from resampling replicates with the box held fixed."
    )
    body += "<h3>The box</h3>" + html_table(found["box"], str)
    shares = pd.DataFrame(
        [
            {"factor": k, "meaning": words.meaning(k), "restricted in reruns": v}
            for k, v in sorted(found["restricted_share"].items(), key=lambda kv: -kv[1])
        ]
    )
    body += "<h3>How stable is the box?</h3>" + note(
        "Share of PRIM reruns on replicate resamples whose chosen box restricts each factor: "
        "near 1, the restriction is robust; near 0, the factor does not matter for success."
    )
    body += html_table(shares, _share)
    body += figure(png, "PRIM peeling trajectory")
    tree = found["tree"]
    body += "<h3>A second answer: CART</h3>" + note(
        "A regression tree (depth 3) of the probability of success; its leaves, most successful "
        "first."
    )
    body += html_table(tree, _num)
    return section("discovery", "Scenario discovery: where does success lie?", body)


def heatmap_section(
    results: Results, table: pd.DataFrame, key: str | None, reference: Any, out: Path
) -> str:
    exp = results.sweep.experiment
    body = note(
        "Mean over replicates (and over any other swept key) of each key outcome over the "
        "experiment's two axes; an axis with many values (a design's draws) is cut into quartile "
        "bins. Colours diverge from the reference cells' mean: one hue above it, the other below."
    )
    for outcome in key_outcomes(results):
        png, notes = figures.heatmap(
            results.summary,
            table,
            list(exp.axes),
            key,
            reference,
            out / f"heatmap_{outcome}.png",
            outcome,
        )
        body += f"<h3>{escape(words.outcome(outcome))}</h3>"
        body += figure(png, f"heatmap of {outcome}") + "".join(note(n) for n in notes)
    return section("heatmap", "Key outcomes over the main axes", body)


def _share(v: Any) -> str:
    if isinstance(v, float):
        return "—" if math.isnan(v) else f"{v:.0%}"
    return str(v)


def average_contrasts(
    results: Results, table: pd.DataFrame, key: str | None, reference: Any, outcome: str
) -> list[str]:
    """Per value of the contrast key: the paired difference from the reference averaged over
    every setting, replicate by replicate, with its bootstrap interval over replicates."""
    if key is None:
        return []
    summary = results.summary
    others = [k for k in stats.varied_keys(summary, results.label_keys) if k != key]
    by_replicate = summary.set_index(["cell", *stats.pair_keys(summary)])[outcome]
    groups: dict[str, list[pd.Series]] = {}
    for cell in table.to_dict("records"):
        if stats._same(cell[key], reference):
            continue
        ref = stats.reference_cell(cell, table, key, reference, others)
        if ref is None:
            continue
        diff = by_replicate.loc[cell["cell"]] - by_replicate.loc[ref]
        groups.setdefault(stats.show(cell[key]), []).append(diff)
    lines = []
    for value, diffs in groups.items():
        if len(diffs) < 2:
            continue
        per_replicate = pd.concat(diffs, axis=1).mean(axis=1)
        m, lo, hi, n = stats.bootstrap_ci(per_replicate)
        lines.append(
            f"Averaged over its {len(diffs)} settings, {key} = {value} against "
            f"{stats.show(reference)}: {words.outcome(outcome)} {m:+.3g} [{lo:.3g}, {hi:.3g}] "
            f"({n} {'paired runs' if stats.is_ensemble(summary) else 'replicates, paired'})."
        )
    return lines
