"""Secrets handed out in links (share links, invitations), and the digests kept of them.

Only a token's SHA-256 digest is stored: whoever reads the database, a backup or an
export cannot open a share page or join an organisation with it. A link is looked up by
the digest of the token presented, so the plain token exists only in the link itself:
shown once when it is made, or sent in an email. 32 random bytes need no salt or slow
hash: there is nothing to guess a dictionary of.
"""

import hashlib
import secrets

# What secrets.token_urlsafe(32) or longer makes: 43 characters and up.
TOKEN_BYTES = 32


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def token_digest(token: str) -> str:
    """The stored form of a token: 64 hex characters."""
    return hashlib.sha256(token.encode()).hexdigest()


def unknown_token_digest() -> str:
    """The digest of a token nobody was given: a row that has not been handed out yet (or
    was imported from another site) matches no link until it is issued one."""
    return token_digest(new_token())
