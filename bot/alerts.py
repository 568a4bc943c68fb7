"""Subscriptions and alerts in the bot: /subscribe, /subscriptions, /unsubscribe and the alert job."""

from __future__ import annotations

from typing import Any


def register(application: Any, settings: Any) -> None:
    """Add the subscription handlers and the alert job to the application (filled in by issue 5)."""
