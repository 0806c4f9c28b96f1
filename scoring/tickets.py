"""The ticket: the one contract between the rules, the feed (tickets.jsonl), the sinks and the reports.

A finding becomes a ticket with a stable id and a lifecycle new → ongoing → resolved. The transition of one
evaluation is pure (:func:`plan_feed`): it takes the findings and the ticket history and says what to write;
store.tickets reads and writes ticket_history. Transitions are keyed on `evaluated_on`, so re-running an
evaluation date gives the same feed: a ticket opened on that date stays `new`, one resolved on that date is
emitted as `resolved` again, and first_seen/last_seen keep the values of the date's first run.
Limitation: a ticket that a same-day earlier run opened and the re-run no longer finds is forgotten; if that
earlier run had re-opened a resolved ticket, the older resolved row is forgotten with it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Annotated, Any, Literal

from gpu_reclaim.scoring.findings import SEVERITY_RANK, Finding, rfc3339
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, PlainSerializer, WithJsonSchema

TicketStatus = Literal["new", "ongoing", "resolved"]
TicketKind = Literal["reclaim", "waste_report"]
TicketSeverity = Literal["low", "medium", "high"]


def _utc(moment: datetime) -> datetime:
    """Aware, in UTC (naive datetimes are taken as UTC, as DuckDB TIMESTAMPs are), whole seconds."""
    aware = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    return aware.replace(microsecond=0)


UtcTimestamp = Annotated[
    datetime,
    AfterValidator(_utc),
    PlainSerializer(rfc3339, return_type=str),
    WithJsonSchema(
        {
            "type": "string",
            "format": "date-time",
            "pattern": r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$",
            "description": "RFC 3339, UTC, second precision.",
        }
    ),
]


class Ticket(BaseModel):
    """One reclamation ticket: the fields of CONTRACT.md in its order, then kind, owner, acknowledgement, the exact
    change and the figures that each have one meaning (one line of tickets.jsonl)."""

    # Fields after `summary` have defaults only so that tickets stored by earlier versions still read; the feed
    # always writes every field (the published schema requires them all).
    model_config = ConfigDict(
        extra="forbid", frozen=True, title="gpu-reclaim ticket", json_schema_serialization_defaults_required=True
    )

    id: str = Field(description="Stable across runs for the same finding: <rule>-<hash of what it is about>.")
    status: TicketStatus
    rule: str
    severity: TicketSeverity
    workspace: str
    project: str
    namespace: str
    workload: str = Field(description="owner_kind/owner_name, or ResourceQuota/<name> for quota tickets.")
    pods: list[str]
    nodes: list[str]
    gpu_model: str | None
    gpus_allocated: float
    gpus_reclaimable: float
    idle_gpu_hours: float
    gpu_hours_recoverable_per_week: float
    window_start: UtcTimestamp
    window_end: UtcTimestamp
    first_seen: UtcTimestamp
    last_seen: UtcTimestamp
    evidence: dict[str, Any] = Field(description="The figures that justify the ticket.")
    action: str = Field(description="What to do, in one sentence (in a waste report: the fix for next time).")
    summary: str = Field(description="One line a person reads.")
    kind: TicketKind = Field(
        default="reclaim",
        description="reclaim: GPUs, quota or a defrag to act on now; waste_report: waste by a workload that has "
        "ended or stopped wasting (gpus_reclaimable 0, the fix that prevents it next time).",
    )
    owner: str | None = Field(
        default=None, description="Who acts: pod label, else namespace label, else the config's contact."
    )
    owner_channel: str | None = Field(default=None, description="The owner's Slack channel, when known.")
    acknowledged_until: date | None = Field(
        default=None, description="Snoozed through this day (annotation or config)."
    )
    acknowledged: bool = Field(
        default=False, description="True while acknowledged_until is on or after the evaluated day."
    )
    change: str | None = Field(
        default=None,
        description="The exact change: a kubectl command, a ResourceQuota patch or a YAML request; null when none.",
    )
    wasted_gpu_hours: float = Field(default=0.0, description="GPU-hours of the window that the fix would have saved.")
    quota_headroom_gpu_hours: float = Field(
        default=0.0, description="Reserved-but-unused quota GPU-hours (quota_reclaim)."
    )
    gpus_freed: float = Field(default=0.0, description="GPUs on the whole nodes a defrag frees (defragment).")
    whole_nodes_freed: int = Field(default=0, description="Whole nodes a defrag frees (defragment).")
    cluster: str = Field(
        default="", description="The cluster (value of labels.cluster_label) the ticket is about; '' when off."
    )

    def feed_line(self) -> str:
        """The ticket as one line of tickets.jsonl (without the newline)."""
        return json.dumps(self.model_dump(mode="json"), ensure_ascii=False)

    def stored(self) -> str:
        """The ticket as ticket_history keeps it: the feed's fields in the feed's order, so that a ticket resolved
        later is emitted exactly as it was last seen, with only its status changed."""
        return json.dumps(self.model_dump(mode="json"))


TICKET_FIELDS = tuple(Ticket.model_fields)


def make_ticket(finding: Finding, status: TicketStatus, first_seen: datetime, last_seen: datetime) -> Ticket:
    """The ticket of a finding."""
    return Ticket.model_validate(
        {"id": finding.id, "status": status, **finding.ticket_body(), "first_seen": first_seen, "last_seen": last_seen}
    )


@dataclass(frozen=True)
class TicketState:
    """One row of ticket_history: where a ticket's lifecycle stands."""

    finding_id: str
    status: TicketStatus
    first_seen: datetime
    last_seen: datetime
    last_evaluated_on: date
    ticket: Ticket
    resolved_at: datetime | None = None


@dataclass(frozen=True)
class HistoryWrite:
    """A ticket_history row to (re)write after an evaluation."""

    ticket: Ticket
    first_seen: datetime
    last_seen: datetime
    resolved_at: datetime | None = None


@dataclass
class FeedUpdate:
    """What one evaluation does to ticket_history, and the feed it gives."""

    writes: list[HistoryWrite] = field(default_factory=list)
    forgotten: list[str] = field(default_factory=list)
    tickets: list[Ticket] = field(default_factory=list)


def naive_utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo is None else moment.astimezone(UTC).replace(tzinfo=None)


def _open(finding: Finding, state: TicketState | None, evaluated_on: date, now: datetime) -> HistoryWrite:
    """The new or ongoing ticket of a present finding."""
    status: TicketStatus
    if state is None:
        status, first, last = "new", now, now
    elif state.last_evaluated_on == evaluated_on and state.status in ("new", "ongoing"):
        status, first, last = state.status, state.first_seen, state.last_seen  # same-day re-run
    elif state.last_evaluated_on == evaluated_on or state.status in ("new", "ongoing"):
        status, first, last = "ongoing", state.first_seen, now  # seen before this date (or resolved today)
    else:
        status, first, last = "new", now, now  # resolved on an earlier date: opened again
    return HistoryWrite(make_ticket(finding, status, first, last), first, last)


def _report(finding: Finding, state: TicketState | None, evaluated_on: date, now: datetime) -> HistoryWrite:
    """The ticket of a waste report about a workload that has ended: resolved, for there is nothing left to
    give back. An open ticket of the same finding (the reclaim ticket of the run) resolves now; one resolved
    before keeps its first_seen/last_seen and is listed again, resolved, while the waste is in the window; with
    no history the report is born resolved (sinks only announce resolutions of tickets they were told about)."""
    resolved_at: datetime | None
    if state is None:
        first, last, resolved_at = now, now, now
    elif state.status == "resolved":
        first, last, resolved_at = state.first_seen, state.last_seen, state.resolved_at
    elif state.last_evaluated_on == evaluated_on and state.status == "new":
        first, last, resolved_at = state.first_seen, state.last_seen, now  # same-day re-run of a fresh ticket
    else:
        first, last, resolved_at = state.first_seen, now, now
    return HistoryWrite(make_ticket(finding, "resolved", first, last), first, last, resolved_at)


def plan_feed(
    findings: Iterable[Finding], history: dict[str, TicketState], evaluated_on: date, now: datetime
) -> FeedUpdate:
    """Move the history to `evaluated_on`: the tickets to write are new and ongoing in priority order of
    `findings`, then those resolved on this date. Exempt and insufficient-data findings never become tickets.
    A waste report of an ended workload is resolved (see :func:`_report`); one of a workload still running moves
    new → ongoing like any ticket, and resolves when the workload ends.
    Evaluating a date earlier than the history's latest is refused (ValueError)."""
    now = naive_utc(now)
    latest = max((state.last_evaluated_on for state in history.values()), default=None)
    if latest is not None and evaluated_on < latest:
        raise ValueError(f"ticket history is at {latest}; cannot evaluate the earlier date {evaluated_on}")
    present: dict[str, Finding] = {}
    for finding in findings:
        if finding.ticketable:
            present.setdefault(finding.id, finding)
    update = FeedUpdate()
    for finding_id, finding in present.items():
        state = history.get(finding_id)
        ended = finding.kind == "waste_report" and finding.workload_ended_at is not None
        write = _report(finding, state, evaluated_on, now) if ended else _open(finding, state, evaluated_on, now)
        update.writes.append(write)
        update.tickets.append(write.ticket)
    for finding_id, state in sorted(history.items()):
        if finding_id in present:
            continue
        same_day = state.last_evaluated_on == evaluated_on
        if state.status == "resolved":
            if same_day:
                update.tickets.append(state.ticket)
        elif same_day and state.status == "new":
            update.forgotten.append(finding_id)
        else:
            resolved = state.ticket.model_copy(update={"status": "resolved"})
            update.writes.append(HistoryWrite(resolved, state.first_seen, state.last_seen, now))
            update.tickets.append(resolved)
    update.tickets.sort(key=feed_order)
    return update


def feed_order(ticket: Ticket) -> tuple[bool, bool, int, float, str]:
    """The feed's order, the same for a daily run and a replay: open before resolved, reclaim-now before waste
    reports, then by severity, recoverable GPU-hours per week and id."""
    return (
        ticket.status == "resolved",
        ticket.kind == "waste_report",
        -SEVERITY_RANK[ticket.severity],
        -ticket.gpu_hours_recoverable_per_week,
        ticket.id,
    )


def ticket_json_schema() -> str:
    """The JSON Schema of one line of tickets.jsonl, as published in schemas/ticket.schema.json."""
    schema = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        **Ticket.model_json_schema(mode="serialization"),
    }
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"


if __name__ == "__main__":  # python -m gpu_reclaim.scoring.tickets > schemas/ticket.schema.json
    print(ticket_json_schema(), end="")
