"""Issue 15, finding 3: two people edit one mission, and the change history afterwards
shows that nothing either of them changed was put back by the other."""

import time_machine

from audit.models import Action, Change, Subject
from tests.editables import as_loaded, as_shown, make_editable

AT_1402 = "2026-06-15 13:02Z"


def history(row) -> list[tuple[str, dict, dict]]:
    """The row's recorded edits, oldest first: who, and the fields before and after."""
    changes = Change.objects.filter(
        subject=Subject.MISSION, object_id=row.pk, action=Action.UPDATE
    ).order_by("at", "id")
    return [(c.actor_label, c.before, c.after) for c in changes]


@time_machine.travel(AT_1402, tick=False)
def test_a_title_changed_in_one_tab_survives_a_problem_changed_in_another(cast, login):
    """Tab A changes the title and saves; tab B, opened before, changes only the problem
    and saves: both changes are kept, with no conflict screen."""
    mission = make_editable(cast, "mission")
    tab_b = as_loaded(mission.form())  # opened first
    tab_a = as_loaded(mission.form())
    assert (
        login(cast.admin).post(mission.url, tab_a | {"title": "Zero waste by 2030"}).status_code
        == 302
    )

    client = login(cast.member)
    response = client.post(mission.url, tab_b | {"problem": "Half our food is thrown away."})

    assert response.status_code == 302
    assert [str(m) for m in client.get(response.url).context["messages"]] == [
        "Mission saved. Acme Admin changed it at 14:02 too; their change to Title is kept."
    ]
    stored = mission.stored()
    assert (stored.title, stored.problem) == ("Zero waste by 2030", "Half our food is thrown away.")
    assert history(stored) == [
        ("Acme Admin", {"title": "Zero waste"}, {"title": "Zero waste by 2030"}),
        ("Acme Member", {"problem": ""}, {"problem": "Half our food is thrown away."}),
    ]


@time_machine.travel(AT_1402, tick=False)
def test_a_field_both_changed_is_shown_with_both_values_and_saving_keeps_the_rest(cast, login):
    """A changes the title and the purpose; B changes the title and the problem. B is
    shown the title both ways; saving again keeps B's title and problem and A's purpose."""
    mission = make_editable(cast, "mission")
    tab_b = as_loaded(mission.form())
    tab_a = as_loaded(mission.form())
    login(cast.admin).post(
        mission.url, tab_a | {"title": "Zero waste by 2030", "purpose": "Send nothing to landfill."}
    )

    client = login(cast.member)
    typed = tab_b | {"title": "No more waste", "problem": "Half our food is thrown away."}
    refused = client.post(mission.url, typed)

    assert refused.status_code == 409
    assert (
        "Acme Admin changed this mission at 14:02 while you were editing. Their change to "
        "Purpose is kept. You both changed Title: yours is in the form, with the value stored "
        "now beside it. Keep yours, or change it, and save again."
    ) in refused.text
    shown = as_shown(refused.text)
    assert shown["title"] == "No more waste"  # theirs...
    assert "Stored now: <strong>Zero waste by 2030</strong>" in refused.text  # ...and yours
    assert refused.text.count("Stored now:") == 1
    assert shown["purpose"] == "Send nothing to landfill."  # A's, undisputed
    assert shown["problem"] == "Half our food is thrown away."
    assert mission.stored().problem == ""  # nothing of B's is saved yet

    again = client.post(mission.url, shown)

    assert again.status_code == 302
    stored = mission.stored()
    assert (stored.title, stored.purpose, stored.problem) == (
        "No more waste",
        "Send nothing to landfill.",
        "Half our food is thrown away.",
    )
    assert history(stored) == [
        (
            "Acme Admin",
            {"title": "Zero waste", "purpose": "Make things measurably better."},
            {"title": "Zero waste by 2030", "purpose": "Send nothing to landfill."},
        ),
        (
            "Acme Member",
            {"title": "Zero waste by 2030", "problem": ""},
            {"title": "No more waste", "problem": "Half our food is thrown away."},
        ),
    ]
