"""How a password too like the person's own details is refused: with the reason.

Django's check stays (a password built from one's own address, "Greenloop-2026!" for
greenloop@…, is the first thing someone who knows the address tries), but its message,
"too similar to the email address", left people guessing what to change.
"""

from django.contrib.auth.password_validation import UserAttributeSimilarityValidator


class PersonalDetailsValidator(UserAttributeSimilarityValidator):
    def get_error_message(self) -> str:
        return (
            "This password is too close to your %(verbose_name)s: anyone who knows it "
            "could guess the password. Use words that have nothing to do with it."
        )

    def get_help_text(self) -> str:
        return "Your password can’t be close to your name or email address."
