"""Who acts on each finding and whether it is acknowledged (pure; store.recommendations reads the labels).

Owner and Slack channel, each on its own: the workload's pod labels beat its namespace's labels, which beat the
config's `tickets.contacts` (the Project's entry beats the Workspace's). Acknowledged through the later of the
pods' snooze annotation and the config's `tickets.acknowledged[<ticket id>]`; while that day is on or after the
evaluated day, the ticket is acknowledged (kept in the feed and the reports, never notified). A date that does
not parse as YYYY-MM-DD gives one warning line and is ignored: the ticket stays active.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date

from gpu_reclaim.core.ticket_settings import Contact, TicketRoutingSettings
from gpu_reclaim.scoring.findings import Finding


@dataclass(frozen=True)
class Labels:
    """The owner, channel and raw snooze date found on a workload's pods or a namespace."""

    owner: str | None = None
    owner_channel: str | None = None
    snooze_until: str | None = None


def parse_day(raw: str) -> date | None:
    """A YYYY-MM-DD date, or None when the text is not one."""
    text = raw.strip()
    if len(text) != 10:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def _contact(settings: TicketRoutingSettings, finding: Finding) -> Contact:
    contacts = settings.contacts
    project = contacts.projects.get(finding.project, Contact())
    workspace = contacts.workspaces.get(finding.workspace, Contact())
    return Contact(
        owner=project.owner or workspace.owner, slack_channel=project.slack_channel or workspace.slack_channel
    )


class Router:
    """Applies one evaluation's labels and config to its findings, collecting warnings (each said once)."""

    def __init__(
        self,
        settings: TicketRoutingSettings,
        workloads: Mapping[tuple[str, str, str], Labels],
        namespaces: Mapping[tuple[str, str], Labels],
        evaluated_on: date,
    ) -> None:
        self.settings = settings
        self.workloads = workloads
        self.namespaces = namespaces
        self.evaluated_on = evaluated_on
        self.warnings: list[str] = []

    def _warn(self, line: str) -> None:
        if line not in self.warnings:
            self.warnings.append(line)

    def _snooze(self, finding: Finding, pod: Labels) -> date | None:
        dates = []
        if pod.snooze_until is not None:
            parsed = parse_day(pod.snooze_until)
            if parsed is None:
                self._warn(
                    f"{finding.namespace}/{finding.workload}: snooze annotation {pod.snooze_until!r} is not a "
                    "YYYY-MM-DD date; its tickets stay active"
                )
            dates.append(parsed)
        raw = self.settings.acknowledged.get(finding.id)
        if raw is not None:
            parsed = parse_day(raw)
            if parsed is None:
                self._warn(
                    f"tickets.acknowledged[{finding.id}] = {raw!r} is not a YYYY-MM-DD date; the ticket stays active"
                )
            dates.append(parsed)
        valid = [day for day in dates if day is not None]
        return max(valid) if valid else None

    def route(self, finding: Finding) -> Finding:
        pod = self.workloads.get((finding.cluster, finding.namespace, finding.workload), Labels())
        namespace = self.namespaces.get((finding.cluster, finding.namespace), Labels())
        config = _contact(self.settings, finding)
        until = self._snooze(finding, pod)
        return finding.model_copy(
            update={
                "owner": pod.owner or namespace.owner or config.owner,
                "owner_channel": pod.owner_channel or namespace.owner_channel or config.slack_channel,
                "acknowledged_until": until,
                "acknowledged": until is not None and until >= self.evaluated_on,
            }
        )


def route_findings(
    findings: Iterable[Finding],
    settings: TicketRoutingSettings,
    workloads: Mapping[tuple[str, str, str], Labels],
    namespaces: Mapping[tuple[str, str], Labels],
    evaluated_on: date,
) -> tuple[list[Finding], list[str]]:
    """The findings with owner, channel and acknowledgement set, and the warnings about malformed dates.
    `workloads` is keyed by (cluster, namespace, workload), `namespaces` by (cluster, namespace)."""
    router = Router(settings, workloads, namespaces, evaluated_on)
    return [router.route(finding) for finding in findings], router.warnings
