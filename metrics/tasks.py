"""The nightly check of the figures stored on missions, goals and metrics."""

import logging

from celery import shared_task

from metrics.figures import figures_recompute

logger = logging.getLogger(__name__)


@shared_task
def sweep_figures() -> int:
    """Recompute every stored figure and fix any that drifted from its rows (a write
    that went around the ORM, a bug): as recompute_figures does. Returns how many."""
    drift = figures_recompute()
    for found in drift:
        logger.warning("Stored figure drifted: %s", found)
    logger.info("Stored figures checked: %d had drifted and are fixed", len(drift))
    return len(drift)
