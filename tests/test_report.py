"""The tidy dataset and the HTML report of a tiny sweep, read back as a browser would parse them.

One tiny policy_reversal sweep (4 cells × 2 replicates, three simulated years) is shared by the
file; with collect and report it takes about 20 seconds.
"""

from __future__ import annotations

import base64
import math
import shutil
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats as sps

from analysis import stats
from analysis.__main__ import main as analysis_main
from analysis.collect import collect
from analysis.report import SECTIONS

ROOT = Path(__file__).resolve().parent.parent
REVERSAL = [
    "+experiment=policy_reversal",
    "years=3",
    "replicates=2",
    "arm=movement,mandate",
    "scenario.reversal_year=1,2",
    "output.progress=false",
    "hydra.launcher.n_jobs=2",
]


def analysis(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "analysis", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.fixture(scope="module")
def sweep_dir(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("reversal") / "sweep"
    proc = subprocess.run(
        [sys.executable, "-m", "sim", "-m", *REVERSAL, f"hydra.sweep.dir={folder}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return folder


class Page(HTMLParser):
    """Sections (id → heading, tables as rows of cell texts, images) of the report."""

    def __init__(self) -> None:
        super().__init__()
        self.sections: dict[str, dict] = {}
        self.order: list[str] = []
        self._section: dict | None = None
        self._text: list[str] | None = None
        self._row: list[str] | None = None
        self._in_h2 = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "section":
            self._section = {"title": "", "tables": [], "images": [], "text": ""}
            self.sections[attrs["id"]] = self._section
            self.order.append(attrs["id"])
        elif self._section is None:
            return
        elif tag == "h2":
            self._in_h2 = True
        elif tag == "table":
            self._section["tables"].append([])
        elif tag == "tr":
            self._row = []
        elif tag in ("td", "th"):
            self._text = []
        elif tag == "img":
            self._section["images"].append(attrs["src"])

    def handle_endtag(self, tag):
        if tag == "section":
            self._section = None
        elif tag == "h2":
            self._in_h2 = False
        elif tag in ("td", "th") and self._text is not None and self._row is not None:
            self._row.append("".join(self._text).strip())
            self._text = None
        elif tag == "tr" and self._row is not None and self._section is not None:
            self._section["tables"][-1].append(self._row)
            self._row = None

    def handle_data(self, data):
        if self._section is None:
            return
        if self._in_h2:
            self._section["title"] += data
        if self._text is not None:
            self._text.append(data)
        self._section["text"] += data


def parse(path: Path) -> Page:
    page = Page()
    page.feed(path.read_text())
    return page


def is_png(src: str) -> bool:
    prefix = "data:image/png;base64,"
    return (
        src.startswith(prefix) and base64.b64decode(src[len(prefix) :])[:8] == b"\x89PNG\r\n\x1a\n"
    )


def test_collect_builds_one_dataset_that_duckdb_and_pandas_read(sweep_dir):
    assert analysis_main(["collect", str(sweep_dir)]) == 0
    collected = sweep_dir / "collected"
    summary = pd.read_parquet(collected / "runs")
    steps = pd.read_parquet(collected / "steps")
    cells = pd.read_parquet(collected / "cells")
    assert len(summary) == 4 * 2 and len(cells) == 4
    assert not summary.duplicated(["cell", "replicate"]).any()
    assert set(summary["arm"]) == {"movement", "mandate"}  # from the partition folders
    assert sorted(p.name for p in (collected / "runs").iterdir()) == ["arm=mandate", "arm=movement"]
    assert set(summary["scenario.reversal_year"]) == {1, 2}
    # Three years of months plus the initial state, for every run, labelled like its run.
    assert len(steps) == 8 * (36 + 1)
    assert {"arm", "scenario.reversal_year", "schools_genuine"} <= set(steps.columns)
    # A cell's row holds the mean of its runs.
    first = cells.iloc[0]
    runs = summary[summary["cell"] == first["cell"]]
    assert first["final_schools_genuine"] == pytest.approx(runs["final_schools_genuine"].mean())

    import duckdb

    rows = duckdb.sql(
        f"""SELECT arm, count(*) AS runs, avg(final_schools_genuine) AS genuine
            FROM read_parquet('{collected}/runs/**/*.parquet', hive_partitioning = true)
            GROUP BY arm ORDER BY arm"""
    ).fetchall()
    expected = summary.groupby("arm", observed=True)["final_schools_genuine"].mean()
    assert [(a, n) for a, n, _ in rows] == [("mandate", 4), ("movement", 4)]
    assert [g for *_, g in rows] == pytest.approx([expected["mandate"], expected["movement"]])


def test_report_has_every_section_with_its_tables_and_figures(sweep_dir):
    proc = analysis("report", str(sweep_dir))
    assert proc.returncode == 0, proc.stderr
    out = sweep_dir / "report"
    page = parse(out / "index.html")
    assert page.order == list(SECTIONS)
    for section in page.sections.values():
        assert section["title"].strip()

    # Comparison: a header and one row per cell, each over both replicates.
    table = page.sections["comparison"]["tables"][0]
    header, rows = table[0], table[1:]
    assert header[:2] == ["cell", "n"] and "genuine schools" in header
    assert len(rows) == 4 and all(r[1] == "2" for r in rows)
    # The printed mean and 95% interval are those of the runs, and inside the outcome's range.
    summary = collect(sweep_dir).summary
    col = header.index("genuine schools")
    first_cell = summary[summary["cell"] == summary["cell"].iloc[0]]
    mean, lo, hi, _ = stats.bootstrap_ci(first_cell["final_schools_genuine"])
    assert rows[0][col] == f"{mean:.3g} [{lo:.3g}, {hi:.3g}]"
    share = header.index("genuine share of adopters")
    for row in rows:
        for text in (row[col], row[share]):
            low, high = (float(v) for v in text.split("[")[1].rstrip("]").split(", "))
            assert 0 <= low <= high
        assert float(row[share].split("[")[1].split(", ")[1].rstrip("]")) <= 1
    # Two replicates: the report says so, and shows no Hedges' g.
    assert "Only 2 replicates" in page.sections["overview"]["text"]
    assert page.sections["headline"]["text"].count("[") >= 1

    # Effects: each mandate cell against the movement cell of the same reversal year.
    effects = page.sections["effects"]["tables"][0]
    assert [r[1] for r in effects[1:]] == [
        "movement · reversal_year=1",
        "movement · reversal_year=2",
    ]
    g_columns = [i for i, h in enumerate(effects[0]) if h.startswith("g ")]
    assert g_columns and all(r[i] == "—" for r in effects[1:] for i in g_columns)

    for name in ("adoption", "survival"):
        images = page.sections[name]["images"]
        assert len(images) == 1 and is_png(images[0]), name
    heatmaps = page.sections["heatmap"]["images"]
    assert len(heatmaps) == 3 and all(is_png(src) for src in heatmaps)  # one per key outcome
    pngs = ["adoption.png", "survival.png"]
    pngs += [f"heatmap_{o}.png" for o in ("final_schools_genuine", "mean_bureaucratization_index")]
    for png in pngs:
        assert (out / png).stat().st_size > 5_000
    # Two arms: a robustness table ranks them; discovery says how to compute it.
    ranking = page.sections["robustness"]["tables"][0]
    assert ranking[0][:2] == ["rank", "arm"] and {r[1] for r in ranking[1:]} == {
        "movement",
        "mandate",
    }
    assert "analysis discover" in page.sections["discovery"]["text"]
    assert "analysis sensitivity" in page.sections["sensitivity"]["text"]


def test_sensitivity_appears_in_the_report_as_a_ranked_chart(sweep_dir, tmp_path):
    copy = tmp_path / "sweep"
    shutil.copytree(sweep_dir, copy, ignore=shutil.ignore_patterns("report"))
    sizes = ["--trajectories", "2", "--base-samples", "2", "--workers", "1", "--no-progress"]
    assert analysis_main(["sensitivity", str(copy), *sizes]) == 0
    assert analysis_main(["report", str(copy)]) == 0
    section = parse(copy / "report" / "index.html").sections["sensitivity"]
    assert len(section["images"]) == 1 and is_png(section["images"][0])
    morris, sobol = section["tables"]
    parameters = 8  # configs/experiment/_sweep.yaml
    assert len(morris) == len(sobol) == parameters + 1
    assert "mu_star" in morris[0] and "ST" in sobol[0]
    ranked = [float(row[morris[0].index("mu_star")]) for row in morris[1:]]
    assert ranked == sorted(ranked, reverse=True)


def test_discovery_appears_in_the_report_as_a_box_with_intervals(sweep_dir, tmp_path):
    copy = tmp_path / "sweep"
    shutil.copytree(sweep_dir, copy, ignore=shutil.ignore_patterns("report"))
    success = "final_schools_genuine >= 1 and mean_bureaucratization_index <= 0.6"
    assert analysis_main(["discover", str(copy), "--success", success]) == 0
    assert analysis_main(["report", str(copy)]) == 0
    page = parse(copy / "report" / "index.html")
    found = page.sections["discovery"]
    assert len(found["images"]) == 1 and is_png(found["images"][0])  # the trajectory
    box, stability, tree = found["tables"]
    assert box[0][:3] == ["factor", "meaning", "in the box"]
    assert stability[0] == ["factor", "meaning", "restricted in reruns"]
    assert tree[0] == ["conditions", "cells", "probability of success"]
    assert "of all successes" in page.sections["headline"]["text"]
    bad = analysis("discover", str(copy), "--success", "happiness > 1")
    assert bad.returncode == 2 and "unknown outcome 'happiness'" in bad.stderr


def test_not_a_sweep_folder_is_one_line_and_writes_nothing(tmp_path):
    proc = analysis("report", str(tmp_path))
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and "not a sweep folder" in lines[0] and str(tmp_path) in lines[0]
    assert list(tmp_path.iterdir()) == []
    missing = analysis("collect", str(tmp_path / "nowhere"))
    assert missing.returncode == 2 and "no such folder" in missing.stderr


def test_truncated_parquet_is_named_and_nothing_is_written(sweep_dir, tmp_path, capsys):
    copy = tmp_path / "sweep"
    shutil.copytree(sweep_dir, copy, ignore=shutil.ignore_patterns("collected", "report"))
    victim = sorted(copy.glob("*/runs/r001/steps.parquet"))[0]
    victim.write_bytes(victim.read_bytes()[:-200])
    for command in ("collect", "report"):
        assert analysis_main([command, str(copy)]) == 2
        lines = capsys.readouterr().err.strip().splitlines()
        assert len(lines) == 1 and str(victim) in lines[0] and "truncated" in lines[0]
    assert not (copy / "collected").exists() and not (copy / "report").exists()


def test_hedges_g_and_confidence_interval_match_their_formulas():
    a = np.array([3.0, 4.0, 5.0, 6.0])
    b = np.array([1.0, 2.0, 2.0, 3.0])
    pooled = math.sqrt((3 * a.var(ddof=1) + 3 * b.var(ddof=1)) / 6)
    expected = (a.mean() - b.mean()) / pooled * (1 - 3 / (4 * 8 - 9))
    assert stats.hedges_g(a, b) == pytest.approx(expected)
    assert stats.hedges_g(b, a) == pytest.approx(-expected)
    m, lo, hi, n = stats.mean_ci(a)
    low, high = sps.t.interval(0.95, 3, loc=a.mean(), scale=sps.sem(a))
    assert (m, n) == (4.5, 4) and lo == pytest.approx(low) and hi == pytest.approx(high)


def test_effects_pair_each_cell_with_its_reference_and_match_ignored_keys():
    rows = []
    for r, seed in enumerate([11, 12, 13]):
        rows.append(
            {
                "cell": "v",
                "arm": "voluntary",
                "pace": None,
                "replicate": r,
                "seed": seed,
                "final_schools_genuine": 10.0 + r,
            }
        )
        for pace in (10, 40):
            rows.append(
                {
                    "cell": f"m{pace}",
                    "arm": "mandated",
                    "pace": pace,
                    "replicate": r,
                    "seed": seed,
                    "final_schools_genuine": 10.0 + r - pace / 10,
                }
            )
    summary = pd.DataFrame(rows)
    table = stats.effects(summary, ["arm", "pace"], "arm", "voluntary")
    assert list(table["against"]) == ["voluntary", "voluntary"]
    # Paired over replicates, the difference is exact: −pace/10 with a zero-width interval.
    m, lo, hi = table.loc[0, "Δ genuine schools"]
    assert (m, lo, hi) == (pytest.approx(-1.0), pytest.approx(-1.0), pytest.approx(-1.0))
    assert table.loc[1, "Δ genuine schools"][0] == pytest.approx(-4.0)
