"""The four roles, from least to most."""

from django.db import models


class Role(models.TextChoices):
    OWNER = "owner", "Owner"
    ADMIN = "admin", "Admin"
    MEMBER = "member", "Member"
    VIEWER = "viewer", "Viewer"

    @classmethod
    def at_least(cls, role: str, minimum: str) -> bool:
        return ROLE_RANK[cls(role)] >= ROLE_RANK[cls(minimum)]


# Higher outranks lower: an admin can do all a member can.
ROLE_RANK = {Role.VIEWER: 0, Role.MEMBER: 1, Role.ADMIN: 2, Role.OWNER: 3}
