"""The exercises of docs/seminar.md, loadable in the app, and the class's predict-then-run tally.

Loading an exercise sets the levers (a scenario and the levers the exercise changes), starts
the run and plays it to the month the exercise names; the page then pins the note the class
should read and shows the discussion question. Before the run, the class may enter a guess
of the figure the exercise asks about; the app reveals the run's value and keeps a tally.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field

from seminar.settings import Levers, preset, set_lever

Row = dict[str, float]
# A guess counts as right when it is within this share of the schools of the true value.
CLOSE_SHARE = 0.1


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
        note="Dropping out",
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
)
EXERCISE = {e.key: e for e in EXERCISES}


def exercise_levers(exercise: Exercise, seed: int | None = None) -> Levers:
    """The scenario's levers with the exercise's changes, at the default seed unless given."""
    levers = preset(exercise.scenario, seed=seed)
    for name, value in exercise.levers.items():
        levers = set_lever(levers, name, value)
    return levers


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


def reveal(guess: Guess, table: list[Row], month: int) -> Guess:
    """The guess with the run's value at `month` (or at the run's last month before it)."""
    metric = EXERCISE[guess.exercise].metric
    rows = [r for r in table if r["step"] <= month]
    return dataclasses.replace(guess, actual=float(rows[-1][metric])) if rows else guess


def tally(guesses: list[Guess], n_schools: int) -> str:
    """ "2 of 3 guesses close" for the rounds already revealed."""
    done = [g for g in guesses if g.actual is not None]
    if not done:
        return "No round played yet."
    right = sum(g.close(n_schools) for g in done)
    return f"Tally: {right} of {len(done)} guesses close (within {CLOSE_SHARE:.0%})."
