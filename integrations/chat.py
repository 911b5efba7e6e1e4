"""Chat messages in each tool's own format: Slack's Block Kit, and an Adaptive Card in
the envelope Microsoft Teams' incoming webhooks take. Both are built from one `Message`,
and both stay within their tool's limits, ending with "and N more" when items are left
out."""

import json
from dataclasses import dataclass, field
from typing import Any

# Slack: at most 50 blocks a message, 3000 characters a section's text, 150 a header's.
SLACK_MAX_BLOCKS = 50
SLACK_MAX_TEXT = 3000
SLACK_MAX_HEADER = 150
# Teams: a message of about 28 KB at most; this leaves room for the envelope.
TEAMS_MAX_BYTES = 26_000


@dataclass(frozen=True, slots=True)
class Item:
    """One line of a message, with a button (its label and address) if it has one."""

    text: str
    button_url: str = ""
    button_label: str = "Check in"


@dataclass(frozen=True, slots=True)
class Message:
    title: str
    intro: str = ""
    link_url: str = ""
    link_label: str = "Open in Waymark"
    items: list[Item] = field(default_factory=list)


def _cut(text: str, most: int) -> str:
    return text if len(text) <= most else text[: most - 1] + "…"


def _slack_escape(text: str) -> str:
    """Slack's mrkdwn reads &, < and > as markup: people's words are shown as typed."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _more(left_out: int) -> str:
    return f"and {left_out} more"


def slack_message(message: Message) -> dict[str, Any]:
    """The message as Slack Block Kit (with a plain-text fallback)."""
    blocks: list[dict[str, Any]] = [
        {
            "type": "header",
            "text": {"type": "plain_text", "text": _cut(message.title, SLACK_MAX_HEADER)},
        }
    ]
    if message.intro or message.link_url:
        section: dict[str, Any] = {
            "type": "section",
            "text": {
                "type": "mrkdwn",
                "text": _cut(_slack_escape(message.intro or message.title), SLACK_MAX_TEXT),
            },
        }
        if message.link_url:
            section["accessory"] = _slack_button(message.link_label, message.link_url)
        blocks.append(section)
    # Room for the items, and for the closing "and N more" if some do not fit.
    room = SLACK_MAX_BLOCKS - len(blocks)
    shown = message.items if len(message.items) <= room else message.items[: room - 1]
    for item in shown:
        block: dict[str, Any] = {
            "type": "section",
            "text": {"type": "mrkdwn", "text": _cut(_slack_escape(item.text), SLACK_MAX_TEXT)},
        }
        if item.button_url:
            block["accessory"] = _slack_button(item.button_label, item.button_url)
        blocks.append(block)
    if len(shown) < len(message.items):
        more = _more(len(message.items) - len(shown))
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": more}]})
    return {"text": _cut(message.title, SLACK_MAX_TEXT), "blocks": blocks}


def _slack_button(label: str, url: str) -> dict[str, Any]:
    return {
        "type": "button",
        "text": {"type": "plain_text", "text": _cut(label, 75)},
        "url": url,
    }


def teams_message(message: Message) -> dict[str, Any]:
    """The message as an Adaptive Card in the envelope Teams' incoming webhooks take."""
    body: list[dict[str, Any]] = [
        {
            "type": "TextBlock",
            "text": message.title,
            "weight": "Bolder",
            "size": "Medium",
            "wrap": True,
        }
    ]
    if message.intro:
        body.append({"type": "TextBlock", "text": message.intro, "wrap": True})
    if message.link_url:
        body.append(_teams_buttons(message.link_label, message.link_url))
    envelope = _teams_envelope(body)
    items = [_teams_item(item) for item in message.items]
    shown = 0
    # Add items while the whole, with a closing "and N more" line, stays within the size.
    for parts in items:
        body.extend(parts)
        if _size(envelope) + _size(_teams_more(len(items))) > TEAMS_MAX_BYTES:
            del body[len(body) - len(parts) :]
            break
        shown += 1
    if shown < len(items):
        body.append(_teams_more(len(items) - shown))
    return envelope


def _teams_envelope(body: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "type": "message",
        "attachments": [
            {
                "contentType": "application/vnd.microsoft.card.adaptive",
                "contentUrl": None,
                "content": {
                    "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
                    "type": "AdaptiveCard",
                    "version": "1.4",
                    "body": body,
                },
            }
        ],
    }


def _teams_item(item: Item) -> list[dict[str, Any]]:
    parts: list[dict[str, Any]] = [
        {"type": "TextBlock", "text": item.text, "wrap": True, "separator": True}
    ]
    if item.button_url:
        parts.append(_teams_buttons(item.button_label, item.button_url))
    return parts


def _teams_buttons(label: str, url: str) -> dict[str, Any]:
    return {
        "type": "ActionSet",
        "actions": [{"type": "Action.OpenUrl", "title": label, "url": url}],
    }


def _teams_more(left_out: int) -> dict[str, Any]:
    return {"type": "TextBlock", "text": _more(left_out), "isSubtle": True, "wrap": True}


def _size(document: dict[str, Any]) -> int:
    return len(json.dumps(document).encode())
