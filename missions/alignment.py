"""What is aligned to missions, worked out from rows already loaded: no queries here.

`alignment_matrix` builds the organisation's teams-by-missions table from three lists,
so the alignment page costs the same few queries however many teams and missions
there are; `resource_groups` totals one mission's resources by kind.
"""

from collections import defaultdict
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from missions.models import AlignmentRole, Mission, Period, Resource, ResourceKind
from orgs.models import Team

# A team giving more than all of its time to live missions is over-committed.
FULL_CAPACITY = 100


@dataclass(frozen=True, slots=True)
class Commitment:
    """One team's share of capacity on one live mission."""

    team_id: int
    mission_id: int
    role: str
    capacity: int

    @property
    def is_lead(self) -> bool:
        return self.role == AlignmentRole.LEAD


@dataclass(frozen=True, slots=True)
class TeamRow:
    team: Team
    cells: list[Commitment | None]  # one per mission column, in column order
    total: int  # across every live mission, including any not shown as a column
    not_shown: int  # the part of `total` on missions this person cannot see
    aligned: bool

    @property
    def over_committed(self) -> bool:
        return self.total > FULL_CAPACITY


@dataclass(frozen=True, slots=True)
class AlignmentMatrix:
    missions: list[Mission]
    rows: list[TeamRow]
    missions_without_lead: list[Mission]
    missions_without_resources: list[Mission]

    @property
    def over_committed(self) -> list[TeamRow]:
        return [row for row in self.rows if row.over_committed]

    @property
    def unaligned_teams(self) -> list[Team]:
        return [row.team for row in self.rows if not row.aligned]


def alignment_matrix(
    teams: Sequence[Team],
    missions: Sequence[Mission],
    commitments: Iterable[Commitment],
    resourced_mission_ids: Collection[int],
) -> AlignmentMatrix:
    """Teams as rows, `missions` as columns.

    `commitments` are every alignment on the organisation's live missions, not only on
    `missions`: a team's load is a fact about the team, so its total (and whether it is
    over-committed) is the same whoever looks, even when some missions are private.
    """
    column = {mission.pk: i for i, mission in enumerate(missions)}
    cells: dict[int, list[Commitment | None]] = {team.pk: [None] * len(missions) for team in teams}
    totals: dict[int, int] = defaultdict(int)
    not_shown: dict[int, int] = defaultdict(int)
    for commitment in commitments:
        totals[commitment.team_id] += commitment.capacity
        index = column.get(commitment.mission_id)
        if index is None:
            not_shown[commitment.team_id] += commitment.capacity
            continue
        if commitment.team_id in cells:
            cells[commitment.team_id][index] = commitment
    rows = [
        TeamRow(
            team=team,
            cells=cells[team.pk],
            total=totals.get(team.pk, 0),
            not_shown=not_shown.get(team.pk, 0),
            aligned=team.pk in totals,
        )
        for team in teams
    ]
    return AlignmentMatrix(
        missions=list(missions),
        rows=rows,
        # From the count each mission stores.
        missions_without_lead=[m for m in missions if not m.lead_team_count],
        missions_without_resources=[m for m in missions if m.pk not in resourced_mission_ids],
    )


@dataclass(frozen=True, slots=True)
class MoneyTotal:
    currency: str
    period: str
    amount: Decimal

    @property
    def period_label(self) -> str:
        return Period(self.period).label


@dataclass(frozen=True, slots=True)
class ResourceGroup:
    kind: str
    label: str
    resources: list[Resource]
    money: list[MoneyTotal]  # one per currency and period; people are not money
    fte: Decimal | None  # people only


_PERIOD_ORDER = {value: i for i, value in enumerate(Period.values)}


def resource_groups(resources: Iterable[Resource]) -> list[ResourceGroup]:
    """One group per kind that has resources, in the order the kinds are declared.

    Money is only added up within one currency and one period: 5,000 GBP once and
    1,000 EUR a month are two totals, never one number.
    """
    by_kind: dict[str, list[Resource]] = defaultdict(list)
    for resource in resources:
        by_kind[resource.kind].append(resource)
    groups = []
    for kind in ResourceKind:
        rows = by_kind.get(kind.value)
        if not rows:
            continue
        fte = Decimal(0) if kind == ResourceKind.PEOPLE else None
        money: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
        for resource in rows:
            if resource.amount is None:
                continue
            if fte is not None:
                fte += resource.amount
            else:
                money[resource.currency, resource.period] += resource.amount
        groups.append(
            ResourceGroup(
                kind=kind.value,
                label=kind.label,
                resources=rows,
                money=[
                    MoneyTotal(currency, period, amount)
                    for (currency, period), amount in sorted(
                        money.items(), key=lambda item: (item[0][0], _PERIOD_ORDER[item[0][1]])
                    )
                ],
                fte=fte,
            )
        )
    return groups
