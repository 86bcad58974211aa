"""What the mechanisms are doing right now, in plain words (the seminar app's side panel).

Every sentence is computed from the model's state and its latest metrics row, in the order in
which `TutorialNetworkModel.step` runs the mechanisms. Nothing here changes the model.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from sim.kinds import EventKind, Origin, SchoolState, Stance
from sim.metrics import BUREAUCRATIZATION_PARTS, school_states, survival_after_reversal
from sim.practice import genuine_teachers, school_adopted
from sim.rules import motivation
from sim.rules.coaching import coach_load
from sim.rules.diffusion import mobilizing_structures
from sim.rules.mandate import (
    cascade_depth,
    handoff_retention,
    mandate_reaches_schools,
)
from sim.rules.opportunities import ministry_paid_coaches
from sim.rules.reversal import withdrawn

if TYPE_CHECKING:
    from sim.model import TutorialNetworkModel

Row = dict[str, float]

# The index runs from 0 (a movement) to 1 (a bureaucracy); past its midpoint the panel flags it.
INDEX_MIDPOINT = 0.5
# Loads are float32: comparisons of loads allow for rounding.
ROUNDING = 1e-6
PART_WORDS = {
    "bureau_paperwork": "supervisors checking formats",
    "bureau_cascade": "practice lost down the training cascade",
    "bureau_coach_overload": "coaching visits nobody can make",
    "bureau_unsheltered": "adopting schools under ordinary rules",
}
# Who goes on academic exchanges, by the rule in force (scenario.exchanges.selection).
SELECTION_WORDS = {
    "tutors": "student tutors go first, the others are drawn by lot",
    "lottery": "the students who go are drawn by lot",
    "top_scorers": "the students with the highest scores go",
    "least_engaged": "the least engaged students go",
}


@dataclass(frozen=True)
class Note:
    """One mechanism, said in plain words. `alert` marks what an instructor may point at."""

    topic: str
    text: str
    alert: bool = False


START = Note(
    "Start",
    "Nothing has run yet. Each step is one month: the mechanisms run in the order of this "
    "panel, which then says what each of them is doing.",
)


def explain(model: TutorialNetworkModel) -> list[Note]:
    """The notes for the model as it stands after its latest step."""
    row = model.table[-1]
    if model.steps == 0:  # nothing has run yet: say where things stand and what is scheduled
        notes = [overview(model, row), government(model, row), mandate(model, row), START]
    else:
        notes = [describe(model, row) for describe in EXPLAINERS]
    return [n for n in notes if n is not None]


# ------------------------------------------------------------------------------ the notes
def overview(model: TutorialNetworkModel, row: Row) -> Note:
    return Note(
        "Now",
        f"{when(model)}: {row['schools_genuine']:.0f} schools in genuine practice, "
        f"{row['schools_surface']:.0f} in surface compliance, {row['schools_lapsed']:.0f} "
        f"lapsed, {row['schools_not_started']:.0f} not started.",
    )


def opportunities(model: TutorialNetworkModel, row: Row) -> Note | None:
    opened = [(year, kind) for _, year, kind in model.events_log if kind != "reversal"]
    if not opened:
        return None
    said = [f"{math.floor(year)}: {EventKind(kind).label}" for year, kind in opened]
    pilots = [p for p in model.programmes if p.mode == "invite"]
    text = "; ".join(said) + "."
    if ministry_paid_coaches(model):
        text += f" The ministry pays {ministry_paid_coaches(model)} movement coaches."
    for p in pilots:
        text += f" Its pilot has invited {p.enrolled} of {p.target} schools near the movement."
    return Note("Political opportunities", text)


def government(model: TutorialNetworkModel, row: Row) -> Note | None:
    if withdrawn(model):
        s = survival_after_reversal(model)
        kept = [
            f"{s[f'survival_{who}']:.0%} of the {label}"
            for who, label in (("voluntary", "volunteers"), ("mandate", "required teachers"))
            if not math.isnan(s[f"survival_{who}"])
        ]
        text = (
            f"Support was withdrawn in {math.floor(s['reversal_year'])}: mandates ended, "
            "ministry coaches left, pilots lost their shelter."
        )
        if kept:
            text += f" Of those practising then, {' and '.join(kept)} still practise."
        return Note("Change of government", text, alert=True)
    year = model.params.scenario.reversal_year
    if year is not None:
        when_ = math.floor(model.calendar_year(model.step_of_year(year)))
        return Note("Change of government", f"A new government will withdraw support in {when_}.")
    return None


def mandate(model: TutorialNetworkModel, row: Row) -> Note | None:
    progs = [p for p in model.programmes if p.mode == "mandate"]
    if not progs or withdrawn(model):
        return None
    p = progs[0]
    pace = p.pace_per_step * model.params.behaviour.steps_per_year
    if model.steps < p.start_step:
        start = math.floor(model.calendar_year(p.start_step))
        return Note(
            "Mandate", f"The mandate starts in {start}: {pace:g} schools a year, up to {p.target}."
        )
    t = model.teachers
    required = t.adopted & (t.origin == Origin.MANDATE)
    real = int((required & genuine_teachers(model)).sum())
    n = int(required.sum())
    return Note(
        "Mandate",
        f"The ministry has required {p.enrolled} of the {p.target} lowest-performing schools "
        f"({pace:g} a year). Their teachers adopt on paper at once; {real} of {n} required "
        "teachers practise it for real.",
        alert=n > 0 and 2 * real < n,
    )


def mobilizing(model: TutorialNetworkModel, row: Row) -> Note:
    t = model.teachers
    outside = ~t.adopted
    contacts = float(model.exposure[outside].mean()) if outside.any() else 0.0
    if not mobilizing_structures(model):
        share = model.params.behaviour.diffusion.unorganized
        return Note(
            "Mobilizing structures",
            "Nobody organizes visits, interchanges or public demonstrations: joining runs at "
            f"{share:.0%} of its strength.",
            alert=True,
        )
    who = "The movement organizes" if model.movement_active else "The ministry's nodes organize"
    demonstrating = int((model.schools.demonstrations > 0).sum())
    return Note(
        "Mobilizing structures",
        f"{who} visits, interchanges and public demonstrations: "
        f"{count(demonstrating, 'school')} held demonstrations this month. A teacher not yet "
        f"in the practice has {contacts:.0%} of contacts practising it.",
    )


def exchanges(model: TutorialNetworkModel, row: Row) -> Note:
    p = model.exchanges.pars
    who = SELECTION_WORDS[p.selection]
    if p.every == 0 or p.students == 0:
        return Note("Exchanges", "No academic exchanges in this run.")
    if not mobilizing_structures(model):
        return Note(
            "Exchanges",
            "No academic exchanges: nobody organizes visits and interchanges between schools "
            f"(the rule, were there any: {who}).",
        )
    text = (
        f"Every {p.every} months each adopting school sends {count(p.students, 'student')} to "
        f"another school of its zone; {who}."
    )
    following = (model.steps // p.every + 1) * p.every
    then = f" The next exchange is in month {following}." if following <= model.params.steps else ""
    last = model.steps - model.steps % p.every
    if row["exchange_goers"] > 0:
        text += f" This month {exchanged(row)}."
    elif last > 0 and model.table[last]["exchange_goers"] > 0:
        text += f" In month {last}, {exchanged(model.table[last])}.{then}"
    else:
        text += then
    return Note("Exchanges", text)


def exchanged(row: Row) -> str:
    """What an exchange month's goers did, from its row."""
    goers, adults = round(row["exchange_goers"]), round(row["adults_tutored_by_students"])
    return (
        f"{count(goers, 'student')} went; the {adults} of them who tutor a tema each tutored a "
        "teacher of the host school in it (an adopter learns the practice as from a coach's "
        "visit, a teacher not in it may join)"
    )


def supervision(model: TutorialNetworkModel, row: Row) -> Note:
    sup = model.supervisors
    p = model.params.behaviour.supervision
    n = np.bincount(sup.stance, minlength=3)
    text = (
        f"Zone supervisors: {n[Stance.PROTECT]} protect the innovation, "
        f"{n[Stance.MODEL_PRACTICE]} model the practice, {n[Stance.ENFORCE]} enforce paperwork."
    )
    over = int((sup.load > 1.0).sum())
    if over:
        leeway = float(sup.leeway.mean())
        text += (
            f" In {count(over, 'zone')} the supervisor follows more than "
            f"{p.load_per_supervisor} adopters and drifts to checking formats"
            + (f" (leeway {leeway:.2f} slows it)." if leeway else ".")
        )
    return Note(
        "Supervisors", text, alert=n[Stance.ENFORCE] > n[Stance.PROTECT] + n[Stance.MODEL_PRACTICE]
    )


def coaching(model: TutorialNetworkModel, row: Row) -> Note:
    adopters = int(model.teachers.adopted.sum())
    load = coach_load(model)
    if adopters == 0:
        text = "No adopters to coach yet."
    elif math.isinf(load):
        text = (
            "No coach and no supervisor who models the practice is left to visit adopters: "
            "they learn only from peers and by doing it."
        )
    elif load <= 1.0:
        text = f"Coaches can visit every adopter this month (coach load {load:.1f}× capacity)."
    else:
        text = (
            f"Coach load is {load:.1f}× capacity: only about {1 / load:.0%} of adopters get a "
            "coaching visit this month."
        )
    if mandate_reaches_schools(model):
        depth, keep = cascade_depth(model), handoff_retention(model)
        how = (
            "collegial nodes that model it by tutoring"
            if model.params.scenario.mandate.coaching == "nodes"
            else "a cascade of trainers training trainers"
        )
        text += (
            f" Required teachers learn the practice through {how}: {depth} hand-offs keeping "
            f"{keep:.0%} each pass on {keep**depth:.0%} of it."
        )
    return Note("Coaching", text, alert=load > 1.0)


def paperwork(model: TutorialNetworkModel, row: Row) -> Note | None:
    t = model.teachers
    if not t.adopted.any():
        return None
    m = model.params.behaviour
    base = m.base_admin_load
    load = float(t.admin_load[t.adopted].mean())
    # Flagged when adopters carry, on average, at least one load on top of the ordinary one.
    loads = [
        x for x in (m.supervision.paperwork_load, model.params.scenario.mandate.paperwork) if x
    ]
    extra = min(loads, default=math.inf)
    text = (
        f"Adopters spend {load:.0%} of their time on paperwork (the ordinary load is {base:.0%})."
    )
    sheltered = int(model.schools.sheltered.sum())
    if sheltered:
        text += (
            f" {sheltered} schools are sheltered pilots: enforcing supervisors and mandate "
            "paperwork do not reach them."
        )
    return Note("Paperwork and shelter", text, alert=load >= base + extra - ROUNDING)


def learning(model: TutorialNetworkModel, row: Row) -> Note:
    text = (
        f"Students' mean score (the share of the curriculum learned) is "
        f"{row['mastery_mean']:.2f}; {row['share_good_excellent']:.0%} reach good or excellent in "
        f"the yearly test. The shared fund holds {row['fund_temas']:.0f} temas; a student has "
        f"demonstrated {row['temas_mastered_mean']:.2f} on average."
    )
    inside, outside = row["mastery_adopting_schools"], row["mastery_other_schools"]
    if not (math.isnan(inside) or math.isnan(outside)):
        text += " " + compared_with_baseline(model, inside, outside)
    tutors = row["student_tutors_genuine"] + row["student_tutors_surface"]
    if tutors:
        text += f" Students tutoring others after a public demonstration: {tutors:.0f}."
    return Note("Learning", text)


def compared_with_baseline(model: TutorialNetworkModel, inside: float, outside: float) -> str:
    """Adopting and other schools' mean score, each beside where the same schools started: the
    mandate picks the lowest-performing schools, so a gap in levels says little by itself."""
    s = model.schools
    adopting = np.isin(school_states(model), (SchoolState.GENUINE, SchoolState.SURFACE))
    weights = s.n_students.astype(float)
    base_in = float(np.average(s.achievement[adopting], weights=weights[adopting]))
    base_out = float(np.average(s.achievement[~adopting], weights=weights[~adopting]))
    gain_in, gain_out = inside - base_in, outside - base_out
    lead = "gained more" if gain_in > gain_out + 0.005 else "gained no more"
    return (
        f"The score in adopting schools is {inside:.2f}, elsewhere {outside:.2f}; but they "
        f"started at {base_in:.2f} and {base_out:.2f} (baseline achievement"
        f"{', the mandate picks the lowest' if model.params.scenario.mandate.enabled else ''}). "
        f"Since then adopting schools {lead}: {gain_in:+.2f} against {gain_out:+.2f}."
    )


def students(model: TutorialNetworkModel, row: Row) -> Note:
    p = model.params.behaviour.students
    text = (
        f"Students' engagement averages {row['student_engagement_mean']:.2f} (the default "
        f"culture's is {p.engagement_rest:.2f}); {row['share_voluntary_time']:.0%} are engaged "
        f"enough (from {p.voluntary_threshold:.2f}) to give their own time: afternoons, weekends, "
        "books taken home."
    )
    inside = row["student_engagement_adopting"]
    adopting = school_adopted(model)[model.students.school]
    if not math.isnan(inside) and not adopting.all():
        outside = float(model.students.engagement[~adopting].mean())
        text += (
            f" In adopting schools engagement is {inside:.2f} and "
            f"{row['share_voluntary_time_adopting']:.0%} give their own time; elsewhere "
            f"{outside:.2f}."
        )
    shown = round(row["demonstrations"])
    if shown:
        days = int((model.schools.demonstrations > 0).sum())
        text += (
            f" This month {count(shown, 'student')} demonstrated a tema in public, at the "
            f"demonstration days of {count(days, 'school')}."
        )
    text += " " + going_on(model, row)
    return Note("Students", text)


def going_on(model: TutorialNetworkModel, row: Row) -> str:
    """Graduates going on to upper secondary: the last cohort, by kind of school."""
    share = row["graduates_continuing"]
    if math.isnan(share):
        per_year = model.params.behaviour.steps_per_year
        first = math.floor(model.calendar_year((model.steps // per_year + 1) * per_year))
        return f"No cohort has graduated yet: the first leaves in {first}."
    text = f"Of the last cohort to graduate, {share:.0%} are expected to go on to upper secondary"
    inside, outside = row["graduates_continuing_adopting"], row["graduates_continuing_other"]
    if not (math.isnan(inside) or math.isnan(outside)):
        text += f": {inside:.0%} from adopting schools, {outside:.0%} from the others"
    return text + "."


def testing(model: TutorialNetworkModel, row: Row) -> Note | None:
    stakes = model.params.scenario.testing
    if stakes.pressure <= 0:
        return None
    punished = int(model.schools.punished.sum())
    if not punished:
        text = "Test-and-punish: the first yearly test comes at the end of the school year."
    else:
        text = (
            f"Test-and-punish: the {punished} lowest-scoring schools of the last test are "
            f"punished; they give {stakes.prep_share:.0%} of tutorial time to test prep and "
            "their teachers lose motivation."
        )
    return Note("Testing", text, alert=True)


def motivation_note(model: TutorialNetworkModel, row: Row) -> Note:
    t = model.teachers
    p = model.params.behaviour.motivation
    adopted = t.adopted
    if not adopted.any():
        return Note("Motivation", f"Teachers' motivation averages {row['motivation_mean']:.2f}.")
    terms = {k: float(v[adopted].mean()) for k, v in motivation.terms(model).items()}
    drains = {k: v for k, v in terms.items() if k != "recovery" and v < 0}
    text = (
        f"Adopters' motivation averages {row['motivation_adopters']:.2f} (all teachers "
        f"{row['motivation_mean']:.2f}). Engaged students add {terms['engaged students']:+.3f} "
        "a month"
    )
    if drains:
        worst = min(drains, key=drains.__getitem__)
        text += f"; the biggest drain is {worst} ({drains[worst]:+.3f})"
    text += "."
    low = terms and row["motivation_adopters"] < p.lapse_threshold
    return Note("Motivation", text, alert=bool(low))


def dropping_out(model: TutorialNetworkModel, row: Row) -> Note | None:
    p = model.params.behaviour.motivation
    demotivated, paper_only, held = motivation.lapse_risk(model)
    free = (demotivated | paper_only) & ~held
    if not (free.any() or held.any()):
        return None
    text = ""
    if free.any():
        low = int((demotivated & free).sum())
        paper = int((paper_only & ~demotivated & free).sum())
        why = [f"{low} with motivation below {p.lapse_threshold:g}"] if low else []
        why += [f"{paper} practising it only on paper with nobody requiring it"] if paper else []
        text = (
            f"{count(int(free.sum()), 'adopter')} may drop out this month "
            f"({p.lapse_rate:.0%} chance each): {', '.join(why)}."
        )
    if held.any():
        text += f" {int(held.sum())} would drop out but the mandate holds them on paper."
    return Note("Dropping out", text.strip(), alert=True)


def bureaucratization(model: TutorialNetworkModel, row: Row) -> Note:
    worst = max(BUREAUCRATIZATION_PARTS, key=lambda k: row[k])
    text = f"Bureaucratization index {row['bureaucratization_index']:.2f} (0 to 1)."
    if row[worst] > 0:
        text += f" Its largest part: {PART_WORDS[worst]} ({row[worst]:.2f})."
    return Note("Bureaucratization", text, alert=row["bureaucratization_index"] > INDEX_MIDPOINT)


def count(n: int, noun: str) -> str:
    """'1 school', '3 schools'."""
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def when(model: TutorialNetworkModel) -> str:
    return f"Month {model.steps} ({math.floor(model.calendar_year())})"


EXPLAINERS: tuple[Callable[[TutorialNetworkModel, Row], Note | None], ...] = (
    overview,
    opportunities,
    government,
    mandate,
    mobilizing,
    exchanges,
    supervision,
    coaching,
    paperwork,
    learning,
    students,
    testing,
    motivation_note,
    dropping_out,
    bureaucratization,
)
