"""The migrations that keep only tokens' digests leave links already handed out working."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.test import Client
from django.urls import reverse

BEFORE = [("orgs", "0005_user_session_generation"), ("missions", "0005_stored_figures")]
PLAIN_TOKEN = "a-share-token-handed-out-before-hashing-0123456789"
INVITATION_TOKEN = "an-invitation-token-emailed-before-hashing-012345678"


@pytest.mark.django_db(transaction=True)
def test_links_made_before_tokens_were_hashed_still_work():
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    apps = executor.loader.project_state(BEFORE).apps
    Organisation = apps.get_model("orgs", "Organisation")
    User = apps.get_model("orgs", "User")
    Membership = apps.get_model("orgs", "Membership")
    Invitation = apps.get_model("orgs", "Invitation")
    ShareLink = apps.get_model("missions", "ShareLink")
    org = Organisation.objects.create(name="Old Co", slug="old-co", public_page=False)
    owner = User.objects.create(email="owner@old.example", password="!")
    Membership.objects.create(organisation=org, user=owner, role="owner")
    ShareLink.objects.create(organisation=org, target="organisation", token=PLAIN_TOKEN)
    Invitation.objects.create(
        organisation=org,
        email="new@old.example",
        role="member",
        token=INVITATION_TOKEN,
        invited_by=owner,
        expires_at="2999-01-01T00:00:00Z",
    )

    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())

    from missions.models import ShareLink as Current

    stored = Current.objects.values_list("token_hash", flat=True).get()
    assert PLAIN_TOKEN not in stored
    assert Client().get(reverse("share_page", args=[PLAIN_TOKEN])).status_code == 200
    page = Client().get(reverse("invitation_accept", args=[INVITATION_TOKEN]))
    assert "Join Old Co" in page.text
