"""The library of mission templates: frozen example missions a leader can start from.

Plain data, no database. Templates are judged by outcomes: goals name the change wanted, and
output and input metrics sit alongside outcome metrics, never in place of them. End states name
a year that assumes a mission starting about now; a leader edits them after applying one.
"""

import calendar
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from metrics.models import Cadence, Direction, MetricFormat, MetricKind

GOVERNMENT = "UK government missions (2024), adapted"
SME = "SME missions"
CATEGORIES = (GOVERNMENT, SME)


@dataclass(frozen=True, slots=True)
class MetricSuggestion:
    name: str
    kind: str
    unit: str
    format: str
    direction: str
    baseline: Decimal | None
    target: Decimal | None
    cadence: str


@dataclass(frozen=True, slots=True)
class GoalSuggestion:
    title: str
    weight: int
    metrics: tuple[MetricSuggestion, ...]


@dataclass(frozen=True, slots=True)
class MilestoneSuggestion:
    title: str
    months_from_start: int

    def due_on(self, starts_on: date) -> date:
        """The start date moved on by whole months, kept inside shorter months."""
        months = starts_on.month - 1 + self.months_from_start
        year, month = starts_on.year + months // 12, months % 12 + 1
        return _day_in_month(year, month, starts_on.day)


@dataclass(frozen=True, slots=True)
class MissionTemplate:
    key: str
    category: str
    title: str
    summary: str
    purpose: str
    problem: str
    beneficiaries: str
    end_state: str
    horizon_years: int
    goals: tuple[GoalSuggestion, ...]
    milestones: tuple[MilestoneSuggestion, ...]

    def ends_on(self, starts_on: date) -> date:
        """The start date moved on by the horizon; 29 February becomes the 28th."""
        return _day_in_month(starts_on.year + self.horizon_years, starts_on.month, starts_on.day)


def _day_in_month(year: int, month: int, day: int) -> date:
    """That day of the month, or the month's last day when the month is shorter."""
    return date(year, month, min(day, calendar.monthrange(year, month)[1]))


def _goal(title: str, weight: int, *metrics: MetricSuggestion) -> GoalSuggestion:
    return GoalSuggestion(title=title, weight=weight, metrics=metrics)


def _milestones(*rows: tuple[str, int]) -> tuple[MilestoneSuggestion, ...]:
    return tuple(
        MilestoneSuggestion(title=title, months_from_start=months) for title, months in rows
    )


GOVERNMENT_TEMPLATES: tuple[MissionTemplate, ...] = (
    MissionTemplate(
        key="uk-growth",
        category=GOVERNMENT,
        title="Kickstart growth, with better jobs",
        summary=(
            "The national growth mission at the scale of one business: get more from every hour "
            "worked, and share it in better pay."
        ),
        purpose=(
            "Grow the business by getting more value from every hour worked, and turn that growth "
            "into better-paid, more secure jobs."
        ),
        problem=(
            "The government's mission is the highest sustained growth in the G7, with good jobs "
            "and productivity growth in every part of the country; its honest test is living "
            "standards, not a headline count. A business can fall into the same trap: revenue "
            "grows while productivity and pay stand still, because the growth came from longer "
            "hours or deeper discounts."
        ),
        beneficiaries=(
            "Staff, whose pay rises with productivity; owners and investors; the local economy "
            "the business hires and buys from."
        ),
        end_state=(
            "By 2030, revenue per employee is up a third, and every role pays at least the real "
            "Living Wage on a secure contract."
        ),
        horizon_years=4,
        goals=(
            _goal(
                "Raise productivity by a third",
                50,
                MetricSuggestion(
                    name="Revenue per full-time employee",
                    kind=MetricKind.OUTCOME,
                    unit="£",
                    format=MetricFormat.CURRENCY,
                    direction=Direction.INCREASE,
                    baseline=Decimal("68000"),
                    target=Decimal("90000"),
                    cadence=Cadence.QUARTERLY,
                ),
                MetricSuggestion(
                    name="Gross margin",
                    kind=MetricKind.OUTCOME,
                    unit="%",
                    format=MetricFormat.PERCENTAGE,
                    direction=Direction.INCREASE,
                    baseline=Decimal("34"),
                    target=Decimal("40"),
                    cadence=Cadence.QUARTERLY,
                ),
            ),
            _goal(
                "Share the growth in pay and secure jobs",
                30,
                MetricSuggestion(
                    name="Median hourly pay",
                    kind=MetricKind.OUTCOME,
                    unit="£",
                    format=MetricFormat.CURRENCY,
                    direction=Direction.INCREASE,
                    baseline=Decimal("14.20"),
                    target=Decimal("17.50"),
                    cadence=Cadence.QUARTERLY,
                ),
                MetricSuggestion(
                    name="Staff on permanent contracts with guaranteed hours",
                    kind=MetricKind.OUTCOME,
                    unit="%",
                    format=MetricFormat.PERCENTAGE,
                    direction=Direction.INCREASE,
                    baseline=Decimal("78"),
                    target=Decimal("95"),
                    cadence=Cadence.QUARTERLY,
                ),
                MetricSuggestion(
                    name="Staff regularly working more than 48 hours a week",
                    kind=MetricKind.OUTCOME,
                    unit="%",
                    format=MetricFormat.PERCENTAGE,
                    direction=Direction.STAY_BELOW,
                    baseline=Decimal("4"),
                    target=Decimal("5"),
                    cadence=Cadence.MONTHLY,
                ),
            ),
            _goal(
                "Invest in what makes each hour count",
                20,
                MetricSuggestion(
                    name="Spend on equipment, software and training, as a share of revenue",
                    kind=MetricKind.INPUT,
                    unit="%",
                    format=MetricFormat.PERCENTAGE,
                    direction=Direction.INCREASE,
                    baseline=Decimal("1.5"),
                    target=Decimal("4"),
                    cadence=Cadence.QUARTERLY,
                ),
            ),
        ),
        milestones=_milestones(
            ("Productivity measured by team and by product line", 3),
            ("Pay structure published, with progression steps for every role", 12),
            ("The two most time-consuming processes redesigned with the people who run them", 18),
            ("Half-way review of productivity and pay against the plan", 24),
        ),
    ),
    MissionTemplate(
        key="uk-clean-power",
        category=GOVERNMENT,
        title="Run on clean power",
        summary=(
            "The clean energy mission applied to your own buildings and vans: zero-carbon "
            "electricity, less energy used, and steadier bills."
        ),
        purpose=(
            "Run the business on clean electricity, use less energy overall, and stop our costs "
            "rising and falling with the price of gas and diesel."
        ),
        problem=(
            "The government's mission is clean power by 2030, to cut bills and create jobs. A "
            "business can make the same shift in its own premises and fleet. Energy prices have "
            "swung hard since 2022, and most of a small firm's direct emissions come from gas "
            "heating and diesel vehicles, both of which now have practical replacements."
        ),
        beneficiaries=(
            "The business, through lower and steadier energy costs; customers who ask for "
            "lower-carbon suppliers; neighbours, through cleaner air."
        ),
        end_state=(
            "By 2030, every unit of electricity we use is zero-carbon, energy is a smaller share "
            "of our costs, and no diesel van is left in the fleet."
        ),
        horizon_years=4,
        goals=(
            _goal(
                "Zero-carbon electricity",
                40,
                MetricSuggestion(
                    name="Electricity from our own generation or a direct renewable contract",
                    kind=MetricKind.OUTCOME,
                    unit="%",
                    format=MetricFormat.PERCENTAGE,
                    direction=Direction.INCREASE,
                    baseline=Decimal("10"),
                    target=Decimal("100"),
                    cadence=Cadence.QUARTERLY,
                ),
                MetricSuggestion(
                    name="Solar capacity installed",
                    kind=MetricKind.OUTPUT,
                    unit="kWp",
                    format=MetricFormat.NUMBER,
                    direction=Direction.INCREASE,
                    baseline=Decimal("0"),
                    target=Decimal("60"),
                    cadence=Cadence.QUARTERLY,
                ),
            ),
            _goal(
                "Use less energy",
                35,
                MetricSuggestion(
                    name="Energy used per £1,000 of revenue",
                    kind=MetricKind.OUTCOME,
                    unit="kWh",
                    format=MetricFormat.NUMBER,
                    direction=Direction.DECREASE,
                    baseline=Decimal("38"),
                    target=Decimal("26"),
                    cadence=Cadence.QUARTERLY,
                ),
                MetricSuggestion(
                    name="Energy costs as a share of revenue",
                    kind=MetricKind.OUTCOME,
                    unit="%",
                    format=MetricFormat.PERCENTAGE,
                    direction=Direction.DECREASE,
                    baseline=Decimal("3.2"),
                    target=Decimal("2"),
                    cadence=Cadence.QUARTERLY,
                ),
            ),
            _goal(
                "Take gas and diesel out of heating and transport",
                25,
                MetricSuggestion(
                    name="Direct emissions from gas and fuel (Scope 1)",
                    kind=MetricKind.OUTCOME,
                    unit="tonnes CO₂e",
                    format=MetricFormat.NUMBER,
                    direction=Direction.DECREASE,
                    baseline=Decimal("85"),
                    target=Decimal("15"),
                    cadence=Cadence.QUARTERLY,
                ),
                MetricSuggestion(
                    name="Vans in the fleet that are fully electric",
                    kind=MetricKind.OUTPUT,
                    unit="%",
                    format=MetricFormat.PERCENTAGE,
                    direction=Direction.INCREASE,
                    baseline=Decimal("0"),
                    target=Decimal("100"),
                    cadence=Cadence.QUARTERLY,
                ),
            ),
        ),
        milestones=_milestones(
            ("Energy audit of every site and vehicle", 3),
            ("Solar panels installed on the main site", 12),
            ("Heat pump replaces the gas boiler", 24),
            ("Last diesel van retired", 42),
        ),
    ),
    MissionTemplate(
        key="uk-safe-streets",
        category=GOVERNMENT,
        title="Safe at work, and confident to speak up",
        summary=(
            "The safer streets mission inside a workplace: fewer people harmed, and more trust "
            "that a report will be acted on."
        ),
        purpose=(
            "Make this a workplace where serious harm is rare, and where everyone is confident "
            "that reporting danger, bullying or harassment leads to action."
        ),
        problem=(
            "The government's mission pairs halving serious violent crime with raising confidence "
            "in the police and courts; the extra neighbourhood officers it promises are an input, "
            "not the result. Inside a business the same pairing holds: fewer people hurt, and more "
            "trust that speaking up works. A count of training sessions says little about either."
        ),
        beneficiaries=(
            "Staff, contractors and visitors; customers, who are served by people who are not "
            "working scared."
        ),
        end_state=(
            "By 2030, lost-time injuries have halved, and four in five staff trust that a report "
            "of danger or harassment will be acted on."
        ),
        horizon_years=4,
        goals=(
            _goal(
                "Halve serious injuries",
                50,
                MetricSuggestion(
                    name="Lost-time injuries per 100,000 hours worked",
                    kind=MetricKind.OUTCOME,
                    unit="",
                    format=MetricFormat.NUMBER,
                    direction=Direction.DECREASE,
                    baseline=Decimal("1.8"),
                    target=Decimal("0.9"),
                    cadence=Cadence.QUARTERLY,
                ),
                MetricSuggestion(
                    name="Near misses reported",
                    kind=MetricKind.OUTPUT,
                    unit="reports",
                    format=MetricFormat.NUMBER,
                    direction=Direction.INCREASE,
                    baseline=Decimal("24"),
                    target=Decimal("60"),
                    cadence=Cadence.QUARTERLY,
                ),
            ),
            _goal(
                "Raise confidence that speaking up works",
                35,
                MetricSuggestion(
                    name="Staff who trust a report of harassment or danger to be acted on",
                    kind=MetricKind.OUTCOME,
                    unit="%",
                    format=MetricFormat.PERCENTAGE,
                    direction=Direction.INCREASE,
                    baseline=Decimal("52"),
                    target=Decimal("80"),
                    cadence=Cadence.QUARTERLY,
                ),
                MetricSuggestion(
                    name="Reports closed, with feedback to whoever raised them, within 30 days",
                    kind=MetricKind.OUTPUT,
                    unit="%",
                    format=MetricFormat.PERCENTAGE,
                    direction=Direction.INCREASE,
                    baseline=Decimal("45"),
                    target=Decimal("90"),
                    cadence=Cadence.MONTHLY,
                ),
            ),
            _goal(
                "Protect staff who deal with the public",
                15,
                MetricSuggestion(
                    name="Incidents of abuse or violence towards staff",
                    kind=MetricKind.OUTCOME,
                    unit="incidents",
                    format=MetricFormat.NUMBER,
                    direction=Direction.DECREASE,
                    baseline=Decimal("14"),
                    target=Decimal("6"),
                    cadence=Cadence.QUARTERLY,
                ),
            ),
        ),
        milestones=_milestones(
            ("Anonymous reporting route live and explained to every team", 2),
            ("Every manager trained to handle a report well", 6),
            ("First published summary of what was reported and what changed", 12),
        ),
    ),
    MissionTemplate(
        key="uk-opportunity",
        category=GOVERNMENT,
        title="Break down barriers to opportunity",
        summary=(
            "The opportunity mission in hiring and promotion: background should not decide how far "
            "someone can go here."
        ),
        purpose=(
            "Make sure that where someone grew up, or the qualifications they left school with, "
            "does not decide how far they can go in this business."
        ),
        problem=(
            "The government's mission reforms childcare and schools so that no young person's "
            "ambitions are limited by their background; its milestone is how ready children are "
            "for school, an outcome, not a count of places funded. A business shapes opportunity "
            "through whom it hires, trains and promotes. Degree requirements, unpaid placements "
            "and informal promotion quietly close doors."
        ),
        beneficiaries=(
            "Young people and career-changers nearby; staff in entry-level roles; the business, "
            "which draws on a wider pool of talent."
        ),
        end_state=(
            "By 2030, half of our promotions go to people who joined in entry-level roles, and no "
            "job asks for a degree it does not need."
        ),
        horizon_years=4,
        goals=(
            _goal(
                "Hire on potential, not pedigree",
                35,
                MetricSuggestion(
                    name="New hires from the most deprived 30% of local neighbourhoods",
                    kind=MetricKind.OUTCOME,
                    unit="%",
                    format=MetricFormat.PERCENTAGE,
                    direction=Direction.INCREASE,
                    baseline=Decimal("12"),
                    target=Decimal("25"),
                    cadence=Cadence.QUARTERLY,
                ),
                MetricSuggestion(
                    name="Vacancies advertised without a degree requirement",
                    kind=MetricKind.OUTPUT,
                    unit="%",
                    format=MetricFormat.PERCENTAGE,
                    direction=Direction.INCREASE,
                    baseline=Decimal("40"),
                    target=Decimal("90"),
                    cadence=Cadence.QUARTERLY,
                ),
            ),
            _goal(
                "Grow people from within",
                40,
                MetricSuggestion(
                    name="Promotions going to people who joined in entry-level roles",
                    kind=MetricKind.OUTCOME,
                    unit="%",
                    format=MetricFormat.PERCENTAGE,
                    direction=Direction.INCREASE,
                    baseline=Decimal("25"),
                    target=Decimal("50"),
                    cadence=Cadence.QUARTERLY,
                ),
                MetricSuggestion(
                    name="Staff with a written development plan",
                    kind=MetricKind.OUTPUT,
                    unit="%",
                    format=MetricFormat.PERCENTAGE,
                    direction=Direction.INCREASE,
                    baseline=Decimal("30"),
                    target=Decimal("90"),
                    cadence=Cadence.QUARTERLY,
                ),
            ),
            _goal(
                "Open the door for young people",
                25,
                MetricSuggestion(
                    name="Placement and apprentice starters in work or education a year later",
                    kind=MetricKind.OUTCOME,
                    unit="%",
                    format=MetricFormat.PERCENTAGE,
                    direction=Direction.INCREASE,
                    baseline=Decimal("55"),
                    target=Decimal("80"),
                    cadence=Cadence.QUARTERLY,
                ),
                MetricSuggestion(
                    name="Paid work-experience placements a year",
                    kind=MetricKind.OUTPUT,
                    unit="placements",
                    format=MetricFormat.NUMBER,
                    direction=Direction.INCREASE,
                    baseline=Decimal("4"),
                    target=Decimal("12"),
                    cadence=Cadence.QUARTERLY,
                ),
            ),
        ),
        milestones=_milestones(
            ("Degree requirements reviewed for every role", 4),
            ("Paid work-experience programme agreed with two local schools", 9),
            ("Promotion criteria published for every team", 12),
        ),
    ),
    MissionTemplate(
        key="uk-health",
        category=GOVERNMENT,
        title="A healthy workforce, fit for the future",
        summary=(
            "The NHS mission for an employer: shorter waits for support, fewer long absences, and "
            "problems caught early."
        ),
        purpose=(
            "Keep people well at work, help those who fall ill back to health and back to work "
            "sooner, and notice problems before they become long absences."
        ),
        problem=(
            "The government's mission is to cut waiting times and deaths from the biggest killers, "
            "so that people live longer, healthier lives. A business cannot run a health service, "
            "but it decides how long someone waits for support, how work is designed, and whether "
            "early signs are noticed. Long-term sickness is now one of the main reasons people in "
            "the UK leave work altogether."
        ),
        beneficiaries=(
            "Staff and their families; colleagues who cover for absences; customers, who get a "
            "steadier service."
        ),
        end_state=(
            "By 2030, sickness absence is down by a third, and anyone who asks for health support "
            "is seen within two weeks."
        ),
        horizon_years=4,
        goals=(
            _goal(
                "Cut sickness absence by a third",
                45,
                MetricSuggestion(
                    name="Sickness absence rate",
                    kind=MetricKind.OUTCOME,
                    unit="%",
                    format=MetricFormat.PERCENTAGE,
                    direction=Direction.DECREASE,
                    baseline=Decimal("3.9"),
                    target=Decimal("2.6"),
                    cadence=Cadence.MONTHLY,
                ),
                MetricSuggestion(
                    name="Absences lasting more than four weeks",
                    kind=MetricKind.OUTCOME,
                    unit="people",
                    format=MetricFormat.NUMBER,
                    direction=Direction.DECREASE,
                    baseline=Decimal("6"),
                    target=Decimal("3"),
                    cadence=Cadence.QUARTERLY,
                ),
            ),
            _goal(
                "Fast support when someone needs it",
                30,
                MetricSuggestion(
                    name="Days from asking for support to a first appointment",
                    kind=MetricKind.OUTCOME,
                    unit="days",
                    format=MetricFormat.NUMBER,
                    direction=Direction.DECREASE,
                    baseline=Decimal("21"),
                    target=Decimal("10"),
                    cadence=Cadence.MONTHLY,
                ),
                MetricSuggestion(
                    name="Return-to-work conversations held within five days",
                    kind=MetricKind.OUTPUT,
                    unit="%",
                    format=MetricFormat.PERCENTAGE,
                    direction=Direction.INCREASE,
                    baseline=Decimal("60"),
                    target=Decimal("95"),
                    cadence=Cadence.MONTHLY,
                ),
            ),
            _goal(
                "Prevent, not just treat",
                25,
                MetricSuggestion(
                    name="Staff rating their wellbeing good or very good",
                    kind=MetricKind.OUTCOME,
                    unit="%",
                    format=MetricFormat.PERCENTAGE,
                    direction=Direction.INCREASE,
                    baseline=Decimal("58"),
                    target=Decimal("75"),
                    cadence=Cadence.QUARTERLY,
                ),
                MetricSuggestion(
                    name="Trained mental health first aiders",
                    kind=MetricKind.INPUT,
                    unit="people",
                    format=MetricFormat.NUMBER,
                    direction=Direction.INCREASE,
                    baseline=Decimal("3"),
                    target=Decimal("12"),
                    cadence=Cadence.QUARTERLY,
                ),
            ),
        ),
        milestones=_milestones(
            ("Occupational health and counselling service in place", 3),
            ("Phased return-to-work policy agreed with staff", 6),
            ("Health risks reviewed in every team's work", 9),
        ),
    ),
)


SME_TEMPLATES: tuple[MissionTemplate, ...] = (
    MissionTemplate(
        key="net-zero-operations",
        category=SME,
        title="Net zero operations",
        summary=(
            "Cut the emissions from your own buildings, vehicles, travel and purchases, and "
            "report on them openly."
        ),
        purpose=(
            "Bring the emissions our own operations cause as close to zero as we can, and deal "
            "honestly with what is left."
        ),
        problem=(
            "Customers, larger buyers and public-sector tenders increasingly ask suppliers for a "
            "carbon reduction plan. Most of a small firm's footprint sits in heating, vehicles, "
            "travel and what it buys, and each of those has a practical fix."
        ),
        beneficiaries=(
            "Customers who need lower-carbon suppliers to meet their own targets; staff; "
            "neighbours, through cleaner air."
        ),
        end_state=(
            "By 2030, our Scope 1 and 2 emissions are 90% below our baseline year, and our main "
            "suppliers are cutting theirs."
        ),
        horizon_years=4,
        goals=(
            _goal(
                "Cut direct and energy emissions by 90%",
                50,
                MetricSuggestion(
                    name="Scope 1 and 2 emissions",
                    kind=MetricKind.OUTCOME,
                    unit="tonnes CO₂e",
                    format=MetricFormat.NUMBER,
                    direction=Direction.DECREASE,
                    baseline=Decimal("120"),
                    target=Decimal("12"),
                    cadence=Cadence.QUARTERLY,
                ),
                MetricSuggestion(
                    name="Floor space heated without fossil fuels",
                    kind=MetricKind.OUTPUT,
                    unit="%",
                    format=MetricFormat.PERCENTAGE,
                    direction=Direction.INCREASE,
                    baseline=Decimal("0"),
                    target=Decimal("100"),
                    cadence=Cadence.QUARTERLY,
                ),
            ),
            _goal(
                "Cut the emissions in what we buy and how we travel",
                30,
                MetricSuggestion(
                    name="Emissions from business travel and freight",
                    kind=MetricKind.OUTCOME,
                    unit="tonnes CO₂e",
                    format=MetricFormat.NUMBER,
                    direction=Direction.DECREASE,
                    baseline=Decimal("65"),
                    target=Decimal("35"),
                    cadence=Cadence.QUARTERLY,
                ),
                MetricSuggestion(
                    name="Top 20 suppliers with a published carbon reduction plan",
                    kind=MetricKind.OUTPUT,
                    unit="%",
                    format=MetricFormat.PERCENTAGE,
                    direction=Direction.INCREASE,
                    baseline=Decimal("15"),
                    target=Decimal("80"),
                    cadence=Cadence.QUARTERLY,
                ),
            ),
            _goal(
                "Win work because of it",
                20,
                MetricSuggestion(
                    name="Tenders where our carbon plan met the buyer's requirement",
                    kind=MetricKind.OUTCOME,
                    unit="%",
                    format=MetricFormat.PERCENTAGE,
                    direction=Direction.INCREASE,
                    baseline=Decimal("60"),
                    target=Decimal("100"),
                    cadence=Cadence.QUARTERLY,
                ),
                MetricSuggestion(
                    name="Carbon reduction plan published and reviewed this year",
                    kind=MetricKind.OUTPUT,
                    unit="",
                    format=MetricFormat.YES_NO,
                    direction=Direction.INCREASE,
                    baseline=Decimal("0"),
                    target=Decimal("1"),
                    cadence=Cadence.QUARTERLY,
                ),
            ),
        ),
        milestones=_milestones(
            ("Baseline footprint measured: Scope 1, 2 and the main Scope 3 categories", 3),
            ("Carbon reduction plan published", 6),
            ("Heat pump or heat network replaces the gas boiler", 24),
            ("Independent review of progress", 36),
        ),
    ),
    MissionTemplate(
        key="best-place-to-work",
        category=SME,
        title="The best place to work",
        summary=(
            "Be the place good people choose to join, stay at and recommend, with fewer "
            "resignations and better managers."
        ),
        purpose=(
            "Be the place good people choose to join, stay at and recommend, because the work "
            "matters, the pay is fair and the leadership is good."
        ),
        problem=(
            "Each resignation costs months of salary in recruitment, training and lost know-how, "
            "and in a small team the gap lands on the people who stay. Exit interviews keep "
            "naming the same few causes: workload, managers and no way up."
        ),
        beneficiaries=(
            "Staff; customers, who deal with experienced people; the business, which spends less "
            "on replacing them."
        ),
        end_state=(
            "By 2029, voluntary turnover has halved, and most of our people would recommend us as "
            "a place to work."
        ),
        horizon_years=3,
        goals=(
            _goal(
                "Halve voluntary turnover",
                40,
                MetricSuggestion(
                    name="Voluntary staff turnover, rolling 12 months",
                    kind=MetricKind.OUTCOME,
                    unit="%",
                    format=MetricFormat.PERCENTAGE,
                    direction=Direction.DECREASE,
                    baseline=Decimal("24"),
                    target=Decimal("12"),
                    cadence=Cadence.QUARTERLY,
                ),
                MetricSuggestion(
                    name="New starters still with us after a year",
                    kind=MetricKind.OUTCOME,
                    unit="%",
                    format=MetricFormat.PERCENTAGE,
                    direction=Direction.INCREASE,
                    baseline=Decimal("70"),
                    target=Decimal("88"),
                    cadence=Cadence.QUARTERLY,
                ),
            ),
            _goal(
                "People recommend us as an employer",
                35,
                MetricSuggestion(
                    name="Employee Net Promoter Score",
                    kind=MetricKind.OUTCOME,
                    unit="",
                    format=MetricFormat.NUMBER,
                    direction=Direction.INCREASE,
                    baseline=Decimal("-5"),
                    target=Decimal("30"),
                    cadence=Cadence.QUARTERLY,
                ),
            ),
            _goal(
                "Managers people want to work for",
                25,
                MetricSuggestion(
                    name="Staff who say their manager helps them do their best work",
                    kind=MetricKind.OUTCOME,
                    unit="%",
                    format=MetricFormat.PERCENTAGE,
                    direction=Direction.INCREASE,
                    baseline=Decimal("55"),
                    target=Decimal("80"),
                    cadence=Cadence.QUARTERLY,
                ),
                MetricSuggestion(
                    name="Managers who have finished the leadership programme",
                    kind=MetricKind.OUTPUT,
                    unit="%",
                    format=MetricFormat.PERCENTAGE,
                    direction=Direction.INCREASE,
                    baseline=Decimal("0"),
                    target=Decimal("100"),
                    cadence=Cadence.QUARTERLY,
                ),
            ),
        ),
        milestones=_milestones(
            ("First all-staff survey, with the results shared in full", 2),
            ("Action plan agreed with every team", 4),
            ("Leadership programme finished by every manager", 12),
            ("Second survey, and a review of what changed", 14),
        ),
    ),
    MissionTemplate(
        key="customer-loyalty",
        category=SME,
        title="Customers who come back",
        summary=(
            "Earn repeat custom by fixing what frustrates customers, rather than buying loyalty "
            "with discounts."
        ),
        purpose=(
            "Earn customers who come back and bring others with them, by fixing what frustrates "
            "them rather than buying their loyalty with discounts."
        ),
        problem=(
            "Winning a new customer costs several times more than keeping one, yet most of our "
            "effort goes on winning. Complaints are handled one at a time, and their causes are "
            "rarely fixed, so the same ones keep arriving."
        ),
        beneficiaries=(
            "Customers; front-line staff, who field fewer repeat complaints; the business, "
            "through steadier revenue."
        ),
        end_state=(
            "By 2029, more than half of our customers buy again within a year, and most problems "
            "are sorted at the first contact."
        ),
        horizon_years=3,
        goals=(
            _goal(
                "More customers come back",
                45,
                MetricSuggestion(
                    name="Customers who buy again within 12 months",
                    kind=MetricKind.OUTCOME,
                    unit="%",
                    format=MetricFormat.PERCENTAGE,
                    direction=Direction.INCREASE,
                    baseline=Decimal("34"),
                    target=Decimal("52"),
                    cadence=Cadence.QUARTERLY,
                ),
                MetricSuggestion(
                    name="Revenue from returning customers",
                    kind=MetricKind.OUTCOME,
                    unit="%",
                    format=MetricFormat.PERCENTAGE,
                    direction=Direction.INCREASE,
                    baseline=Decimal("48"),
                    target=Decimal("65"),
                    cadence=Cadence.QUARTERLY,
                ),
            ),
            _goal(
                "Customers recommend us",
                30,
                MetricSuggestion(
                    name="Net Promoter Score",
                    kind=MetricKind.OUTCOME,
                    unit="",
                    format=MetricFormat.NUMBER,
                    direction=Direction.INCREASE,
                    baseline=Decimal("28"),
                    target=Decimal("50"),
                    cadence=Cadence.QUARTERLY,
                ),
            ),
            _goal(
                "Fix problems at the root",
                25,
                MetricSuggestion(
                    name="Complaints resolved at the first contact",
                    kind=MetricKind.OUTCOME,
                    unit="%",
                    format=MetricFormat.PERCENTAGE,
                    direction=Direction.INCREASE,
                    baseline=Decimal("58"),
                    target=Decimal("85"),
                    cadence=Cadence.MONTHLY,
                ),
                MetricSuggestion(
                    name="Top five complaint causes with a lasting fix in place",
                    kind=MetricKind.OUTPUT,
                    unit="causes",
                    format=MetricFormat.NUMBER,
                    direction=Direction.INCREASE,
                    baseline=Decimal("0"),
                    target=Decimal("5"),
                    cadence=Cadence.QUARTERLY,
                ),
            ),
        ),
        milestones=_milestones(
            ("Customer journey mapped with front-line staff", 3),
            ("Complaints and their causes logged in one place", 4),
            ("Customer panel meets for the first time", 6),
            ("Top five complaint causes fixed", 12),
        ),
    ),
    MissionTemplate(
        key="local-supply-chain",
        category=SME,
        title="Buy local, build local",
        summary=(
            "Mission-led buying, Camden-style: spend more with local firms and ask suppliers to "
            "commit to the mission."
        ),
        purpose=(
            "Use what we spend to strengthen the local economy, and ask our suppliers to commit "
            "to the same mission, as Camden Council does with its contracts."
        ),
        problem=(
            "Much of our spend leaves the area through national distributors, though local firms "
            "could supply a good share of it. Camden Council has shown that a buyer can shape its "
            "market when suppliers make specific commitments, such as local hiring, "
            "apprenticeships or lower emissions, and the buyer follows them up."
        ),
        beneficiaries=(
            "Local suppliers and the people they employ; our business, through shorter and more "
            "reliable supply chains; the community around us."
        ),
        end_state=(
            "By 2030, 40% of our spend goes to firms within 30 miles, and every major supplier is "
            "meeting a commitment it made to the mission."
        ),
        horizon_years=4,
        goals=(
            _goal(
                "Spend more with local firms",
                40,
                MetricSuggestion(
                    name="Spend with suppliers within 30 miles",
                    kind=MetricKind.OUTCOME,
                    unit="%",
                    format=MetricFormat.PERCENTAGE,
                    direction=Direction.INCREASE,
                    baseline=Decimal("18"),
                    target=Decimal("40"),
                    cadence=Cadence.QUARTERLY,
                ),
                MetricSuggestion(
                    name="Spend with small firms and social enterprises",
                    kind=MetricKind.OUTCOME,
                    unit="%",
                    format=MetricFormat.PERCENTAGE,
                    direction=Direction.INCREASE,
                    baseline=Decimal("22"),
                    target=Decimal("35"),
                    cadence=Cadence.QUARTERLY,
                ),
            ),
            _goal(
                "Suppliers commit to the mission",
                35,
                MetricSuggestion(
                    name="Supplier commitments met by their due date",
                    kind=MetricKind.OUTCOME,
                    unit="%",
                    format=MetricFormat.PERCENTAGE,
                    direction=Direction.INCREASE,
                    baseline=None,
                    target=Decimal("85"),
                    cadence=Cadence.QUARTERLY,
                ),
                MetricSuggestion(
                    name="Major suppliers with a signed mission commitment",
                    kind=MetricKind.OUTPUT,
                    unit="%",
                    format=MetricFormat.PERCENTAGE,
                    direction=Direction.INCREASE,
                    baseline=Decimal("0"),
                    target=Decimal("100"),
                    cadence=Cadence.QUARTERLY,
                ),
            ),
            _goal(
                "Be a good customer to small suppliers",
                25,
                MetricSuggestion(
                    name="Supplier invoices paid within 30 days",
                    kind=MetricKind.OUTCOME,
                    unit="%",
                    format=MetricFormat.PERCENTAGE,
                    direction=Direction.INCREASE,
                    baseline=Decimal("68"),
                    target=Decimal("95"),
                    cadence=Cadence.MONTHLY,
                ),
            ),
        ),
        milestones=_milestones(
            ("Spend analysed by supplier location and size", 2),
            ("Open day for local suppliers", 6),
            ("Mission commitments written into every new contract over £10,000", 9),
            ("First review of commitments with suppliers", 12),
        ),
    ),
    MissionTemplate(
        key="community-impact",
        category=SME,
        title="A good neighbour",
        summary=(
            "Put your people's time and skills where local partners need them most, and measure "
            "what changes."
        ),
        purpose=(
            "Make a difference people can point to in the place we work, by putting our time and "
            "skills where local partners say they are needed most."
        ),
        problem=(
            "Community giving is often a scatter of small donations and one-off volunteering "
            "days, chosen by whoever asks first. It feels good but rarely changes anything that "
            "anyone can point to a year later."
        ),
        beneficiaries=(
            "Local charities, schools and residents; our staff, who gain skills and pride; the "
            "business, through its standing in the area."
        ),
        end_state=(
            "By 2030, 30 local people have moved into work with our help, and three long-term "
            "partners say our support changed what they could do."
        ),
        horizon_years=4,
        goals=(
            _goal(
                "Help local people into work",
                45,
                MetricSuggestion(
                    name="Local people moved into work through our partnerships, to date",
                    kind=MetricKind.OUTCOME,
                    unit="people",
                    format=MetricFormat.NUMBER,
                    direction=Direction.INCREASE,
                    baseline=Decimal("0"),
                    target=Decimal("30"),
                    cadence=Cadence.QUARTERLY,
                ),
                MetricSuggestion(
                    name="Mock interviews and CV sessions run with partners, to date",
                    kind=MetricKind.OUTPUT,
                    unit="sessions",
                    format=MetricFormat.NUMBER,
                    direction=Direction.INCREASE,
                    baseline=Decimal("0"),
                    target=Decimal("80"),
                    cadence=Cadence.QUARTERLY,
                ),
            ),
            _goal(
                "Partnerships that change something",
                35,
                MetricSuggestion(
                    name="Partners who say our support changed what they could achieve",
                    kind=MetricKind.OUTCOME,
                    unit="%",
                    format=MetricFormat.PERCENTAGE,
                    direction=Direction.INCREASE,
                    baseline=None,
                    target=Decimal("80"),
                    cadence=Cadence.QUARTERLY,
                ),
                MetricSuggestion(
                    name="Partnerships running for two years or more",
                    kind=MetricKind.OUTPUT,
                    unit="partners",
                    format=MetricFormat.NUMBER,
                    direction=Direction.INCREASE,
                    baseline=Decimal("0"),
                    target=Decimal("3"),
                    cadence=Cadence.QUARTERLY,
                ),
            ),
            _goal(
                "Give time where it counts",
                20,
                MetricSuggestion(
                    name="Staff volunteering hours, rolling 12 months",
                    kind=MetricKind.INPUT,
                    unit="hours",
                    format=MetricFormat.NUMBER,
                    direction=Direction.INCREASE,
                    baseline=Decimal("150"),
                    target=Decimal("600"),
                    cadence=Cadence.QUARTERLY,
                ),
            ),
        ),
        milestones=_milestones(
            ("Local partners asked what they need most", 2),
            ("Two days' volunteering leave a year for everyone", 4),
            ("Three partners chosen and agreements signed", 6),
            ("First impact review with partners, published", 12),
        ),
    ),
    MissionTemplate(
        key="zero-waste",
        category=SME,
        title="Zero waste to landfill",
        summary=(
            "Send nothing to landfill and waste less in the first place, from what you buy to how "
            "you pack."
        ),
        purpose=(
            "Send nothing to landfill, and waste less in the first place, by designing waste out "
            "of how we buy, make and deliver."
        ),
        problem=(
            "Waste collections cost more every year, and landfill tax rises with them. Much of "
            "what goes in the general-waste skip could have been avoided, reused or recycled, and "
            "customers notice the packaging we send."
        ),
        beneficiaries=(
            "The business, through lower disposal and material costs; customers; the local "
            "environment."
        ),
        end_state=(
            "By 2029, nothing we throw away goes to landfill, and we produce 40% less waste for "
            "each pound of revenue than we do today."
        ),
        horizon_years=3,
        goals=(
            _goal(
                "Nothing to landfill",
                40,
                MetricSuggestion(
                    name="Waste sent to landfill, rolling 12 months",
                    kind=MetricKind.OUTCOME,
                    unit="tonnes",
                    format=MetricFormat.NUMBER,
                    direction=Direction.DECREASE,
                    baseline=Decimal("36"),
                    target=Decimal("0"),
                    cadence=Cadence.QUARTERLY,
                ),
                MetricSuggestion(
                    name="Waste reused or recycled",
                    kind=MetricKind.OUTCOME,
                    unit="%",
                    format=MetricFormat.PERCENTAGE,
                    direction=Direction.INCREASE,
                    baseline=Decimal("42"),
                    target=Decimal("90"),
                    cadence=Cadence.QUARTERLY,
                ),
            ),
            _goal(
                "Produce less waste",
                40,
                MetricSuggestion(
                    name="Waste per £100,000 of revenue",
                    kind=MetricKind.OUTCOME,
                    unit="kg",
                    format=MetricFormat.NUMBER,
                    direction=Direction.DECREASE,
                    baseline=Decimal("850"),
                    target=Decimal("510"),
                    cadence=Cadence.QUARTERLY,
                ),
                MetricSuggestion(
                    name="Single-use plastic items bought",
                    kind=MetricKind.INPUT,
                    unit="items",
                    format=MetricFormat.NUMBER,
                    direction=Direction.DECREASE,
                    baseline=Decimal("12000"),
                    target=Decimal("1000"),
                    cadence=Cadence.QUARTERLY,
                ),
            ),
            _goal(
                "Packaging customers can reuse or recycle",
                20,
                MetricSuggestion(
                    name="Orders sent in reusable or kerbside-recyclable packaging",
                    kind=MetricKind.OUTCOME,
                    unit="%",
                    format=MetricFormat.PERCENTAGE,
                    direction=Direction.INCREASE,
                    baseline=Decimal("55"),
                    target=Decimal("100"),
                    cadence=Cadence.MONTHLY,
                ),
            ),
        ),
        milestones=_milestones(
            ("Two-week audit of every bin on site", 1),
            ("Main suppliers asked to take back their packaging", 6),
            ("Returnable packaging offered to regular customers", 12),
            ("General-waste contract switched to zero-to-landfill", 24),
        ),
    ),
    MissionTemplate(
        key="digital-first-service",
        category=SME,
        title="Digital first, human when it matters",
        summary=(
            "Let customers do simple things online at any hour, so your people have time for the "
            "conversations that need a person."
        ),
        purpose=(
            "Let customers do simple things online, at any hour, so our people have time for the "
            "conversations that need a person."
        ),
        problem=(
            "Routine requests such as quotes, bookings, changes and copies of invoices arrive by "
            "phone and email and are retyped into several systems. Customers wait, mistakes creep "
            "in, and skilled staff spend their days on admin."
        ),
        beneficiaries=(
            "Customers, who get answers sooner; staff, who retype less; customers who prefer the "
            "phone, who get through faster."
        ),
        end_state=(
            "By 2029, most routine requests are done online in minutes, and anyone who calls "
            "reaches a person within a minute."
        ),
        horizon_years=3,
        goals=(
            _goal(
                "Routine requests done online",
                40,
                MetricSuggestion(
                    name="Routine requests completed online without staff help",
                    kind=MetricKind.OUTCOME,
                    unit="%",
                    format=MetricFormat.PERCENTAGE,
                    direction=Direction.INCREASE,
                    baseline=Decimal("15"),
                    target=Decimal("65"),
                    cadence=Cadence.MONTHLY,
                ),
                MetricSuggestion(
                    name="Customers satisfied with the online service",
                    kind=MetricKind.OUTCOME,
                    unit="%",
                    format=MetricFormat.PERCENTAGE,
                    direction=Direction.INCREASE,
                    baseline=Decimal("71"),
                    target=Decimal("85"),
                    cadence=Cadence.QUARTERLY,
                ),
                MetricSuggestion(
                    name="Request types customers can complete online",
                    kind=MetricKind.OUTPUT,
                    unit="types",
                    format=MetricFormat.NUMBER,
                    direction=Direction.INCREASE,
                    baseline=Decimal("2"),
                    target=Decimal("12"),
                    cadence=Cadence.QUARTERLY,
                ),
            ),
            _goal(
                "Faster answers, online and on the phone",
                35,
                MetricSuggestion(
                    name="Working days to resolve a customer request",
                    kind=MetricKind.OUTCOME,
                    unit="days",
                    format=MetricFormat.NUMBER,
                    direction=Direction.DECREASE,
                    baseline=Decimal("4.5"),
                    target=Decimal("1"),
                    cadence=Cadence.MONTHLY,
                ),
                MetricSuggestion(
                    name="Calls answered by a person within 60 seconds",
                    kind=MetricKind.OUTCOME,
                    unit="%",
                    format=MetricFormat.PERCENTAGE,
                    direction=Direction.INCREASE,
                    baseline=Decimal("62"),
                    target=Decimal("90"),
                    cadence=Cadence.WEEKLY,
                ),
                MetricSuggestion(
                    name="Phone customers rating the service good or better",
                    kind=MetricKind.OUTCOME,
                    unit="%",
                    format=MetricFormat.PERCENTAGE,
                    direction=Direction.STAY_ABOVE,
                    baseline=Decimal("88"),
                    target=Decimal("85"),
                    cadence=Cadence.QUARTERLY,
                ),
            ),
            _goal(
                "Fewer mistakes, less retyping",
                25,
                MetricSuggestion(
                    name="Orders and bookings that needed correcting",
                    kind=MetricKind.OUTCOME,
                    unit="%",
                    format=MetricFormat.PERCENTAGE,
                    direction=Direction.DECREASE,
                    baseline=Decimal("6"),
                    target=Decimal("2"),
                    cadence=Cadence.MONTHLY,
                ),
                MetricSuggestion(
                    name="Staff hours a week spent re-entering data",
                    kind=MetricKind.INPUT,
                    unit="hours",
                    format=MetricFormat.NUMBER,
                    direction=Direction.DECREASE,
                    baseline=Decimal("60"),
                    target=Decimal("15"),
                    cadence=Cadence.FORTNIGHTLY,
                ),
            ),
        ),
        milestones=_milestones(
            ("Ten most common requests mapped end to end", 2),
            ("Online quotes and bookings live", 9),
            ("Phone service reviewed with customers who prefer to call", 12),
            ("Systems connected so nothing is typed twice", 18),
        ),
    ),
    MissionTemplate(
        key="fair-pay-and-skills",
        category=SME,
        title="Fair pay and skills for everyone",
        summary=(
            "Pay everyone enough to live on, and give everyone a route to better-paid work, "
            "starting with apprenticeships."
        ),
        purpose=(
            "Pay everyone enough to live on, and give everyone a route to build skills and earn "
            "more, starting with apprenticeships."
        ),
        problem=(
            "Skills shortages hold back our growth, while some of our lowest-paid roles have no "
            "clear way up. Hiring ready-made skills is expensive and unreliable; growing them "
            "takes longer but lasts."
        ),
        beneficiaries=(
            "Lower-paid staff and apprentices; young people and career-changers nearby; "
            "customers, who are served by skilled people."
        ),
        end_state=(
            "By 2030, every role pays at least the real Living Wage, and one in ten of our people "
            "is an apprentice or recently finished one."
        ),
        horizon_years=4,
        goals=(
            _goal(
                "Everyone paid enough to live on",
                35,
                MetricSuggestion(
                    name="Staff and regular contractors paid at least the real Living Wage",
                    kind=MetricKind.OUTCOME,
                    unit="%",
                    format=MetricFormat.PERCENTAGE,
                    direction=Direction.INCREASE,
                    baseline=Decimal("84"),
                    target=Decimal("100"),
                    cadence=Cadence.MONTHLY,
                ),
                MetricSuggestion(
                    name="Median gender pay gap",
                    kind=MetricKind.OUTCOME,
                    unit="%",
                    format=MetricFormat.PERCENTAGE,
                    direction=Direction.DECREASE,
                    baseline=Decimal("14"),
                    target=Decimal("5"),
                    cadence=Cadence.QUARTERLY,
                ),
            ),
            _goal(
                "Grow skills through apprenticeships",
                40,
                MetricSuggestion(
                    name="Apprentices who finish and stay at least a year",
                    kind=MetricKind.OUTCOME,
                    unit="%",
                    format=MetricFormat.PERCENTAGE,
                    direction=Direction.INCREASE,
                    baseline=Decimal("60"),
                    target=Decimal("85"),
                    cadence=Cadence.QUARTERLY,
                ),
                MetricSuggestion(
                    name="Apprentices in post",
                    kind=MetricKind.OUTPUT,
                    unit="apprentices",
                    format=MetricFormat.NUMBER,
                    direction=Direction.INCREASE,
                    baseline=Decimal("2"),
                    target=Decimal("12"),
                    cadence=Cadence.QUARTERLY,
                ),
            ),
            _goal(
                "Skills that lead to better pay",
                25,
                MetricSuggestion(
                    name="Staff who moved into a better-paid role in the last 12 months",
                    kind=MetricKind.OUTCOME,
                    unit="%",
                    format=MetricFormat.PERCENTAGE,
                    direction=Direction.INCREASE,
                    baseline=Decimal("6"),
                    target=Decimal("12"),
                    cadence=Cadence.QUARTERLY,
                ),
                MetricSuggestion(
                    name="Training days per person a year",
                    kind=MetricKind.INPUT,
                    unit="days",
                    format=MetricFormat.NUMBER,
                    direction=Direction.INCREASE,
                    baseline=Decimal("1.5"),
                    target=Decimal("5"),
                    cadence=Cadence.QUARTERLY,
                ),
            ),
        ),
        milestones=_milestones(
            ("Apprenticeship programme set up with a local college or training provider", 4),
            ("Skills framework with a pay step for each level, published for every role", 9),
            ("Accredited as a real Living Wage employer", 12),
            ("First apprentices finish", 24),
        ),
    ),
    MissionTemplate(
        key="accessible-to-everyone",
        category=SME,
        title="Accessible to everyone",
        summary=(
            "Make sure disabled customers and staff can use everything you offer, online and in "
            "person, without having to ask."
        ),
        purpose=(
            "Make sure disabled customers and staff can use everything we offer, online and in "
            "person, without having to ask for special treatment."
        ),
        problem=(
            "Around one in four people in the UK is disabled, and many more have a temporary or "
            "situational need. Barriers in websites, forms and premises turn them away silently: "
            "most people who hit one leave rather than complain."
        ),
        beneficiaries=(
            "Disabled and older customers, staff and job applicants; everyone who gains from "
            "clearer, simpler service."
        ),
        end_state=(
            "By 2029, our website and premises meet recognised accessibility standards, and "
            "disabled customers rate us as highly as everyone else does."
        ),
        horizon_years=3,
        goals=(
            _goal(
                "Digital services everyone can use",
                40,
                MetricSuggestion(
                    name="Key journeys completed by disabled testers without help",
                    kind=MetricKind.OUTCOME,
                    unit="%",
                    format=MetricFormat.PERCENTAGE,
                    direction=Direction.INCREASE,
                    baseline=Decimal("40"),
                    target=Decimal("95"),
                    cadence=Cadence.QUARTERLY,
                ),
                MetricSuggestion(
                    name="Key pages meeting WCAG 2.2 AA",
                    kind=MetricKind.OUTPUT,
                    unit="%",
                    format=MetricFormat.PERCENTAGE,
                    direction=Direction.INCREASE,
                    baseline=Decimal("35"),
                    target=Decimal("100"),
                    cadence=Cadence.QUARTERLY,
                ),
            ),
            _goal(
                "An equal experience",
                35,
                MetricSuggestion(
                    name="Satisfaction gap between disabled and other customers",
                    kind=MetricKind.OUTCOME,
                    unit="percentage points",
                    format=MetricFormat.NUMBER,
                    direction=Direction.DECREASE,
                    baseline=Decimal("14"),
                    target=Decimal("2"),
                    cadence=Cadence.QUARTERLY,
                ),
            ),
            _goal(
                "An accessible place to work",
                25,
                MetricSuggestion(
                    name="Workplace adjustments in place within four weeks of asking",
                    kind=MetricKind.OUTCOME,
                    unit="%",
                    format=MetricFormat.PERCENTAGE,
                    direction=Direction.INCREASE,
                    baseline=Decimal("50"),
                    target=Decimal("95"),
                    cadence=Cadence.QUARTERLY,
                ),
                MetricSuggestion(
                    name="Accessibility statement published and up to date",
                    kind=MetricKind.OUTPUT,
                    unit="",
                    format=MetricFormat.YES_NO,
                    direction=Direction.INCREASE,
                    baseline=Decimal("0"),
                    target=Decimal("1"),
                    cadence=Cadence.QUARTERLY,
                ),
            ),
        ),
        milestones=_milestones(
            ("Accessibility audit of the website, forms and premises", 3),
            ("Panel of disabled customers recruited to test changes", 6),
            ("Re-audit against WCAG 2.2 AA and the premises checklist", 18),
        ),
    ),
    MissionTemplate(
        key="ideas-from-everyone",
        category=SME,
        title="Ideas from everyone",
        summary=(
            "Make trying new things part of everyone's job, so tomorrow's products come from your "
            "own people."
        ),
        purpose=(
            "Make trying new things part of everyone's job, so the products and ways of working "
            "that carry us forward come from our own people."
        ),
        problem=(
            "Good ideas come up over coffee and go no further: there is no route to test them, no "
            "time set aside, and failing feels risky. Meanwhile competitors launch faster."
        ),
        beneficiaries=(
            "Customers, who get better products sooner; staff, whose ideas are heard; the "
            "business, through its future revenue."
        ),
        end_state=(
            "By 2030, a fifth of our revenue comes from products and services launched in the "
            "previous three years."
        ),
        horizon_years=4,
        goals=(
            _goal(
                "Revenue from new products and services",
                45,
                MetricSuggestion(
                    name="Revenue from products and services launched in the last three years",
                    kind=MetricKind.OUTCOME,
                    unit="%",
                    format=MetricFormat.PERCENTAGE,
                    direction=Direction.INCREASE,
                    baseline=Decimal("6"),
                    target=Decimal("20"),
                    cadence=Cadence.QUARTERLY,
                ),
            ),
            _goal(
                "Test ideas quickly and decide",
                30,
                MetricSuggestion(
                    name="Experiments run to a clear decision each quarter",
                    kind=MetricKind.OUTPUT,
                    unit="experiments",
                    format=MetricFormat.NUMBER,
                    direction=Direction.INCREASE,
                    baseline=Decimal("1"),
                    target=Decimal("6"),
                    cadence=Cadence.QUARTERLY,
                ),
                MetricSuggestion(
                    name="Days from proposing an idea to its first test",
                    kind=MetricKind.OUTPUT,
                    unit="days",
                    format=MetricFormat.NUMBER,
                    direction=Direction.DECREASE,
                    baseline=Decimal("90"),
                    target=Decimal("30"),
                    cadence=Cadence.QUARTERLY,
                ),
            ),
            _goal(
                "Everyone's ideas are heard",
                25,
                MetricSuggestion(
                    name="Staff who say their ideas are listened to",
                    kind=MetricKind.OUTCOME,
                    unit="%",
                    format=MetricFormat.PERCENTAGE,
                    direction=Direction.INCREASE,
                    baseline=Decimal("41"),
                    target=Decimal("70"),
                    cadence=Cadence.QUARTERLY,
                ),
            ),
        ),
        milestones=_milestones(
            ("A simple way for anyone to propose and back an idea", 1),
            ("Half a day a month protected for experiments", 3),
            ("First idea taken from test to launch", 12),
        ),
    ),
)


TEMPLATES: tuple[MissionTemplate, ...] = GOVERNMENT_TEMPLATES + SME_TEMPLATES

_BY_KEY = {template.key: template for template in TEMPLATES}


def get_template(key: str) -> MissionTemplate | None:
    return _BY_KEY.get(key)


def by_category() -> list[tuple[str, list[MissionTemplate]]]:
    """The library's sections in display order: the government examples first, then SME ones."""
    return [
        (category, [template for template in TEMPLATES if template.category == category])
        for category in CATEGORIES
    ]
