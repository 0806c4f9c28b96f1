"""The sink kinds, one small class each, found by `kind` in a registry: a generic JSON webhook, a Slack incoming
webhook and Jira (REST v2). A sink turns one ticket event into one HTTP request; delivery.deliver sends it."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

import httpx
from gpu_reclaim.core.rule_settings import SinkSettings
from gpu_reclaim.scoring.tickets import Ticket


class DeliveryError(RuntimeError):
    """A request that failed for good (after retries, or a 4xx), or a sink that cannot be used."""


@dataclass(frozen=True)
class Request:
    method: str
    url: str
    json: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)
    auth: tuple[str, str] | None = None
    shown_url: str = ""  # the URL as a dry run prints it: an env var's name instead of its (secret) value


def _env(name: str, env: Mapping[str, str], settings: SinkSettings) -> str:
    value = env.get(name)
    if not value:
        raise DeliveryError(f"sink {settings.name}: environment variable {name} is not set")
    return value


def ticket_text(ticket: Ticket) -> str:
    """One line a person reads in a chat or a comment (naming the owner, when known)."""
    owner = f" · owner {ticket.owner}" if ticket.owner else ""
    return (
        f"[gpu-reclaim] {ticket.status} · {ticket.severity} · {ticket.rule}{owner} · "
        f"{ticket.namespace}/{ticket.workload}: {ticket.summary} {ticket.action}"
    )


class Sink(ABC):
    """One destination; subclasses say what a ticket event looks like there."""

    kind: ClassVar[str]

    def __init__(self, settings: SinkSettings) -> None:
        self.settings = settings

    def endpoint(self, env: Mapping[str, str], *, secrets: bool) -> tuple[str, str]:
        """(URL, URL as shown); without `secrets` (dry run) no env var is read."""
        if self.settings.url is not None:
            return self.settings.url, self.settings.url
        assert self.settings.url_env is not None
        url = _env(self.settings.url_env, env, self.settings) if secrets else ""
        return url, f"${self.settings.url_env}"

    def credentials(self, env: Mapping[str, str], *, secrets: bool) -> tuple[dict[str, str], tuple[str, str] | None]:
        """(extra headers, basic auth) from the token env vars."""
        if not (self.settings.token_env and secrets):
            return {}, None
        return {"Authorization": f"Bearer {_env(self.settings.token_env, env, self.settings)}"}, None

    def request(
        self, ticket: Ticket, key: str, remote_ref: str | None, env: Mapping[str, str], *, secrets: bool
    ) -> Request:
        """The HTTP request of one ticket event (carrying its idempotency key)."""
        url, shown = self.endpoint(env, secrets=secrets)
        headers, auth = self.credentials(env, secrets=secrets)
        path, body = self.body(ticket, key, remote_ref)
        return Request("POST", url.rstrip("/") + path if path else url, body, {"Idempotency-Key": key, **headers},
                       auth, shown.rstrip("/") + path if path else shown)  # fmt: skip

    @abstractmethod
    def body(self, ticket: Ticket, key: str, remote_ref: str | None) -> tuple[str, dict[str, Any]]:
        """(path below the sink's URL, JSON body): each registered kind says what it sends."""

    def remote_ref(self, response: httpx.Response) -> str | None:
        """What the remote side calls the ticket (a Jira issue key), to comment on it later."""
        return None


SINK_KINDS: dict[str, type[Sink]] = {}


def register(kind: str) -> Callable[[type[Sink]], type[Sink]]:
    def add(cls: type[Sink]) -> type[Sink]:
        cls.kind = kind
        SINK_KINDS[kind] = cls
        return cls

    return add


def sink_for(settings: SinkSettings) -> Sink:
    """The sink class of `settings.kind`."""
    try:
        return SINK_KINDS[settings.kind](settings)
    except KeyError:
        raise DeliveryError(f"sink {settings.name}: unknown kind {settings.kind!r}") from None


@register("webhook")
class WebhookSink(Sink):
    """POST {"idempotency_key", "owner", "owner_channel", "ticket"} to the URL (a router keys on `owner`)."""

    def body(self, ticket: Ticket, key: str, remote_ref: str | None) -> tuple[str, dict[str, Any]]:
        return "", {
            "idempotency_key": key,
            "owner": ticket.owner,
            "owner_channel": ticket.owner_channel,
            "ticket": ticket.model_dump(mode="json"),
        }


@register("slack")
class SlackSink(Sink):
    """A Slack incoming webhook: one line of text, posted to the owner's channel when the ticket names one
    (otherwise to the webhook's own channel)."""

    def body(self, ticket: Ticket, key: str, remote_ref: str | None) -> tuple[str, dict[str, Any]]:
        message: dict[str, Any] = {"text": ticket_text(ticket)}
        if ticket.owner_channel:
            message["channel"] = ticket.owner_channel
        return "", message


@register("jira")
class JiraSink(Sink):
    """Jira REST v2: an issue for the first event of a ticket, a comment on that issue for the later ones."""

    def credentials(self, env: Mapping[str, str], *, secrets: bool) -> tuple[dict[str, str], tuple[str, str] | None]:
        if self.settings.token_env and self.settings.user_env and secrets:  # Jira Cloud: e-mail + API token
            token = _env(self.settings.token_env, env, self.settings)
            return {}, (_env(self.settings.user_env, env, self.settings), token)
        return super().credentials(env, secrets=secrets)

    def body(self, ticket: Ticket, key: str, remote_ref: str | None) -> tuple[str, dict[str, Any]]:
        if remote_ref:
            return f"/rest/api/2/issue/{remote_ref}/comment", {"body": ticket_text(ticket)}
        fields = {
            "project": {"key": self.settings.jira_project_key},
            "issuetype": {"name": self.settings.jira_issue_type},
            "summary": ticket.summary[:250],
            "description": f"{ticket_text(ticket)}\n\nTicket id: {ticket.id}\nEvidence: {ticket.evidence}",
            "labels": ["gpu-reclaim", ticket.rule],
        }
        if ticket.owner:
            fields["assignee"] = {"name": ticket.owner}  # Jira Server/Data Center user name
        return "/rest/api/2/issue", {"fields": fields}

    def remote_ref(self, response: httpx.Response) -> str | None:
        try:
            return str(response.json().get("key") or "") or None
        except ValueError:
            return None
