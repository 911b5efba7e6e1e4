from celery import shared_task

from orgs import emails


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def send_invitation_email(invitation_id: int) -> None:
    emails.invitation_email_send(invitation_id)
