"""The exercises of docs/seminar.md, loadable in the app, and the class's predict-then-run tally.

Loading an exercise sets the levers (a scenario and the levers the exercise changes), starts
the run and plays it to the month the exercise names; the page then pins the note the class
should read and shows the discussion question. Before the run, the class may enter a guess
of the figure the exercise asks about; the app reveals the run's value and keeps a tally.

An exercise that compares two settings plays both: first the run it is compared with (kept as
a black line), then its own. Before the runs the class picks, for each figure it names, which
of the two will end higher; the app reveals both runs' values and counts the right picks in
the same tally.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass, field

from seminar.settings import CHOICES, Levers, choice_labels, preset, set_lever

Row = dict[str, float]
# A guess counts as right when it is within this share of the schools of the true value.
CLOSE_SHARE = 0.1
# The figures a class may pick the higher run on: what they are called, and how they are shown.
PICKED = {
    "schools_genuine": ("schools in genuine practice", "{:.0f}"),
    "graduates_continuing": ("graduates going on to upper secondary", "{:.1%}"),
}
TIE = "neither (a tie)"


@dataclass(frozen=True)
class Exercise:
    """One exercise: the levers it sets, how far it plays, what to read and what to discuss."""

    key: str
    title: str
    scenario: str
    levers: dict[str, object] = field(default_factory=dict)
    month: int = 120
    note: str = "Now"  # the topic of the note to pin
    question: str = ""
    predict: str = ""  # the question of the guess; the answer is `metric` at `month`
    metric: str = "schools_genuine"
    # A comparison: the levers of the run it is compared with (played first), and the figures
    # the class picks the higher run on (instead of guessing one number).
    versus: dict[str, object] = field(default_factory=dict)
    picks: tuple[str, ...] = ()


EXERCISES: tuple[Exercise, ...] = (
    Exercise(
        key="voluntary_or_mandated",
        title="1. Voluntary or mandated? (the mandate's run)",
        scenario="mandated",
        month=72,
        note="Motivation",
        question="Why does a required teacher's practice start lower than a volunteer's? "
        "(Find 'cascade' in the Coaching note.) What sticks when what spreads is the formula?",
        predict="How many schools are in genuine practice in 2010 under the mandate?",
    ),
    Exercise(
        key="what_protects",
        title="2. What protects a movement? (mandate with shelter)",
        scenario="mandated",
        levers={"sheltered": True},
        note="Paperwork and shelter",
        question="Shelter removes the mandate's paperwork and control from required schools. "
        "Which levers act on motivation, which on mobilizing structures? What does it cost a "
        "ministry to offer shelter?",
        predict="With shelter, how many schools are in genuine practice after ten years?",
    ),
    Exercise(
        key="test_and_punish",
        title="3. The cost of test-and-punish",
        scenario="test_and_punish",
        note="Testing",
        question="The test was meant to raise learning. Why does it not, in the model? Which "
        "mechanism links punishment to less learning (tutorial time, motivation)?",
        predict="Under test-and-punish, how many schools are in genuine practice after ten years?",
    ),
    Exercise(
        key="change_of_government",
        title="4. Surviving a change of government (mandate alone)",
        scenario="mandated",
        levers={"reversal_year": 6.0},
        note="Change of government",
        question="A mandate alone collapses when support is withdrawn in 2010. What in the "
        "model lets a movement survive what the precursor did not in 2003?",
        predict="After support is withdrawn in 2010, how many schools are still in genuine "
        "practice in 2014?",
    ),
    Exercise(
        key="movement_becomes_bureaucracy",
        title="5. The movement becomes a bureaucracy",
        scenario="hybrid",
        levers={
            "coaching": "cascade",
            "mandate_pace": 60,
            "coaches": 2,
            "protect": 0.0,
            "models_practice": 0.0,
            "sheltered": False,
        },
        note="Bureaucratization",
        question="The movement's practice became a ministry programme: fast, cascaded, "
        "unsheltered, watched by supervisors who check formats. Which part of the index grew "
        "first? At which month would you say the movement had become a bureaucracy, and what "
        "could its leaders have negotiated to prevent it?",
        predict="How high is the bureaucratization index (0 to 1) after ten years?",
        metric="bureaucratization_index",
    ),
    Exercise(
        key="who_goes_on_exchanges",
        title="6. Who goes on exchanges?",
        scenario="voluntary",
        levers={"exchange_selection": "least_engaged"},
        versus={"exchange_selection": "tutors"},
        note="Exchanges",
        question="Sending student tutors trains the host's teachers and recruits; sending the "
        "least engaged raises engagement where it is lowest. Which did the two runs show, and "
        "is the difference larger than the spread of seeds (the fan)? Which rule would you "
        "defend to a movement with few coaches, and which to families?",
        predict="After ten years, which rule leaves more schools in genuine practice, and which "
        "more graduates going on to upper secondary?",
        metric="graduates_continuing",
        picks=("schools_genuine", "graduates_continuing"),
    ),
)
EXERCISE = {e.key: e for e in EXERCISES}


def exercise_levers(exercise: Exercise, seed: int | None = None, versus: bool = False) -> Levers:
    """The scenario's levers with the exercise's changes, at the default seed unless given; with
    `versus`, those of the run it is compared with."""
    levers = preset(exercise.scenario, seed=seed)
    for name, value in (exercise.levers | (exercise.versus if versus else {})).items():
        levers = set_lever(levers, name, value)
    return levers


def arms(exercise: Exercise) -> tuple[str, str]:
    """The names of a comparison's two runs, the one compared with first ("tutors")."""

    def name(levers: dict[str, object]) -> str:
        return ", ".join(shown(k, levers[k]) for k in exercise.versus)

    return name(exercise.versus), name(exercise.levers)


def shown(lever: str, value: object) -> str:
    """A lever's value as the page shows it."""
    if lever in CHOICES:
        return next(label for label, v in choice_labels(lever).items() if v == value)
    return str(value)


@dataclass(frozen=True)
class Guess:
    """One predict-then-run round: the class's guess and, once the run got there, the value."""

    exercise: str
    guess: float
    actual: float | None = None

    def close(self, n_schools: int) -> bool:
        if self.actual is None:
            return False
        exercise = EXERCISE[self.exercise]
        scale = 1.0 if exercise.metric == "bureaucratization_index" else n_schools
        return abs(self.guess - self.actual) <= CLOSE_SHARE * scale

    def said(self, n_schools: int) -> str:
        verdict = "close" if self.close(n_schools) else "not close"
        return f"Guess {self.guess:g}, the run gave {self.actual:.2f}: {verdict}."


@dataclass(frozen=True)
class Pick:
    """One figure of a comparison: the run the class says ends higher and, once both runs got
    there, their values (the run compared with first)."""

    exercise: str
    metric: str
    pick: str
    values: tuple[float, float] | None = None

    @property
    def actual(self) -> str | None:
        """The run that ended higher, or TIE; None before the runs."""
        if self.values is None:
            return None
        first, second = self.values
        names = arms(EXERCISE[self.exercise])
        return TIE if first == second else names[0] if first > second else names[1]

    def close(self, n_schools: int) -> bool:
        return self.actual == self.pick

    def said(self, n_schools: int) -> str:
        words, form = PICKED[self.metric]
        names = arms(EXERCISE[self.exercise])
        values = self.values or (float("nan"), float("nan"))
        runs = ", ".join(f"{n} {form.format(v)}" for n, v in zip(names, values, strict=True))
        verdict = "right" if self.close(n_schools) else "wrong"
        return f"More {words}: picked {self.pick}; {runs}: {verdict}."


Round = Guess | Pick


def value_at(table: Sequence[Row], metric: str, month: int) -> float | None:
    """A metric at `month`, or at the run's last month before it."""
    rows = [r for r in table if r["step"] <= month]
    return float(rows[-1][metric]) if rows else None


def reveal(guess: Guess, table: Sequence[Row], month: int) -> Guess:
    """The guess with the run's value at `month` (or at the run's last month before it)."""
    actual = value_at(table, EXERCISE[guess.exercise].metric, month)
    return guess if actual is None else dataclasses.replace(guess, actual=actual)


def reveal_picks(
    exercise: Exercise,
    picked: dict[str, str],
    versus_table: Sequence[Row],
    table: Sequence[Row],
    month: int,
) -> list[Pick]:
    """The class's picks, one per figure, with both runs' values at `month`."""
    out = []
    for metric in exercise.picks:
        first, second = value_at(versus_table, metric, month), value_at(table, metric, month)
        values = None if first is None or second is None else (first, second)
        out.append(Pick(exercise.key, metric, picked[metric], values))
    return out


def tally(guesses: Sequence[Round], n_schools: int) -> str:
    """ "2 of 3 guesses close" for the rounds already revealed."""
    done = [g for g in guesses if g.actual is not None]
    if not done:
        return "No round played yet."
    right = sum(g.close(n_schools) for g in done)
    if any(isinstance(g, Pick) for g in done):
        return (
            f"Tally: {right} of {len(done)} guesses right or close (numbers within "
            f"{CLOSE_SHARE:.0%})."
        )
    return f"Tally: {right} of {len(done)} guesses close (within {CLOSE_SHARE:.0%})."
