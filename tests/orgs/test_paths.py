"""{% path_for %} gives exactly what {% url %} gives."""

import uuid

import pytest
from django.template import Context, Template
from django.urls import NoReverseMatch, reverse
from hypothesis import given, settings
from hypothesis import strategies as st

from core.templatetags.paths import path_for

slugs = st.from_regex(r"[a-z0-9]+(-[a-z0-9]+)*", fullmatch=True).filter(lambda s: len(s) < 60)


@settings(deadline=None)
@given(org=slugs, mission=slugs, uid=st.uuids())
def test_it_matches_reverse_for_slugs_and_ids(org, mission, uid):
    for name, args in [
        ("reporting:dashboard", [org]),
        ("reporting:mission", [org, mission]),
        ("metrics:detail", [org, mission, uid]),
        ("reporting:goal_move", [org, mission, uid]),
    ]:
        assert path_for(name, *args) == reverse(name, args=args)


def test_arguments_that_need_quoting_go_through_reverse():
    assert path_for("share_page", "a b") == reverse("share_page", args=["a b"])


def test_a_wrong_argument_is_refused_as_reverse_refuses_it():
    with pytest.raises(NoReverseMatch):
        path_for("metrics:detail", "acme", "m", "not-a-uuid")


def test_an_id_given_as_text_still_works():
    uid = str(uuid.uuid4())
    assert path_for("metrics:detail", "acme", "m", uid) == reverse(
        "metrics:detail", args=["acme", "m", uid]
    )


def test_a_slug_that_looks_like_an_id_still_works():
    slug = str(uuid.uuid4())
    for name, args in [
        ("reporting:mission", ["acme", slug]),
        ("metrics:detail", [slug, slug, slug]),
    ]:
        assert path_for(name, *args) == reverse(name, args=args)


def test_it_works_as_a_tag_with_as():
    uid = uuid.uuid4()
    html = Template(
        "{% load paths %}{% path_for 'metrics:detail' 'acme' 'm' uid as link %}"
        "<a href='{{ link }}'>"
    ).render(Context({"uid": uid}))
    assert html == f"<a href='{reverse('metrics:detail', args=['acme', 'm', uid])}'>"
