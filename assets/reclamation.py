"""Reclamation assets: the day's recommendations (every rule over the window ending that day), the ticket feed
(stable ids, new/ongoing/resolved, written atomically) and its delivery to the configured sinks."""

from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

from dagster import AssetExecutionContext, MaterializeResult, MetadataValue
from gpu_reclaim.assets.fragmentation import fragmentation
from gpu_reclaim.assets.metadata import preview_metadata, record_preview
from gpu_reclaim.assets.partitions import daily_asset, log_warnings, partition_day
from gpu_reclaim.assets.resources import OutputsResource, SettingsResource, WarehouseResource
from gpu_reclaim.assets.usage import gpu_usage
from gpu_reclaim.core.config import Settings
from gpu_reclaim.core.warehouse import Warehouse
from gpu_reclaim.delivery.deliver import deliver_evaluation
from gpu_reclaim.scoring.findings import Finding
from gpu_reclaim.scoring.tickets import Ticket
from gpu_reclaim.store.feed import write_feed
from gpu_reclaim.store.recommendations import evaluate_recommendations
from gpu_reclaim.store.snooze_quality import record_config_snooze_quality
from gpu_reclaim.store.tickets import latest_evaluation, update_ticket_feed

FEED_NAME = "tickets.jsonl"
FINDING_COLUMNS = ["rule", "severity", "workspace", "project", "workload", "gpus_reclaimable", "exempt"]


def evaluation_window(settings: Settings, day: date) -> tuple[datetime, datetime]:
    """The report window that ends with `day` (included): [day + 1 − window_days, day + 1) in UTC."""
    window_end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=UTC)
    return window_end - timedelta(days=settings.report.window_days), window_end


@dataclass
class Recommendation:
    findings: list[Finding]
    tickets: list[Ticket]
    feed_written: bool
    warnings: list[str]


def recommend_day(warehouse: Warehouse, settings: Settings, day: date, feed_path: Path) -> Recommendation:
    """Evaluate every rule for the window ending `day` and store the findings; then move the ticket history to
    `day` and write the feed, unless the history is already past `day` (a backfill of an older day): the feed
    tells what is open now, so an older day's findings are stored but never reopen or resolve tickets."""
    window_start, window_end = evaluation_window(settings, day)
    warnings: list[str] = []
    with warehouse.connect() as con:
        findings = evaluate_recommendations(
            con, settings, settings.recommendations, window_start, window_end, day, warnings
        )
        record_config_snooze_quality(con, settings.tickets.acknowledged, day)
        latest = latest_evaluation(con)
        if latest is not None and day < latest:
            warning = f"ticket history is at {latest}; {day} re-evaluated and stored, the ticket feed left as it is"
            return Recommendation(findings, [], feed_written=False, warnings=[*warnings, warning])
        tickets = update_ticket_feed(con, findings, day, window_end)
    write_feed(feed_path, tickets)
    return Recommendation(findings, tickets, feed_written=True, warnings=warnings)


@daily_asset(
    group_name="reclamation",
    deps=[gpu_usage, fragmentation],
    description="recommendations and ticket_history for the window ending this day; writes out/tickets.jsonl.",
)
def recommendations(
    context: AssetExecutionContext, settings: SettingsResource, warehouse: WarehouseResource, outputs: OutputsResource
) -> MaterializeResult:
    day = partition_day(context)
    feed_path = outputs.path() / FEED_NAME
    result = recommend_day(warehouse.warehouse(), settings.load(), day, feed_path)
    findings, tickets = result.findings, result.tickets
    log_warnings(context, result.warnings)
    by_rule = Counter(finding.rule for finding in findings if finding.ticketable)
    by_status = Counter(ticket.status for ticket in tickets)
    return MaterializeResult(
        metadata={
            "feed": MetadataValue.path(str(feed_path)),
            "tickets": MetadataValue.int(len(tickets)),
            "findings_by_rule": MetadataValue.json(dict(sorted(by_rule.items()))),
            "tickets_by_status": MetadataValue.json(dict(sorted(by_status.items()))),
            "tickets_by_kind": MetadataValue.json(dict(sorted(Counter(t.kind for t in tickets).items()))),
            "acknowledged_tickets": MetadataValue.int(sum(1 for t in tickets if t.acknowledged)),
            "exempt_findings": MetadataValue.int(sum(1 for f in findings if f.exempt)),
            "feed_written": MetadataValue.bool(result.feed_written),
            **({"warnings": MetadataValue.text("\n".join(result.warnings))} if result.warnings else {}),
            **record_preview(len(findings), [finding.model_dump() for finding in findings], FINDING_COLUMNS),
        }
    )


@daily_asset(
    group_name="reclamation",
    deps=[recommendations],
    description="Sends new tickets and status/severity changes to the configured sinks (dry run when disabled).",
)
def ticket_delivery(
    context: AssetExecutionContext, settings: SettingsResource, warehouse: WarehouseResource, outputs: OutputsResource
) -> MaterializeResult:
    loaded = settings.load()
    now = evaluation_window(loaded, partition_day(context))[1]
    outcomes: Counter[str] = Counter()
    # the latest evaluation's tickets as ticket_history holds them (what the feed on disk says)
    with warehouse.warehouse().connect() as con:
        delivered = deliver_evaluation(con, loaded.recommendations.sinks, now, printer=context.log.info)
    for sink_name, deliveries in delivered.items():
        for delivery in deliveries:
            outcomes[f"{sink_name}:{delivery.outcome}"] += 1
    return MaterializeResult(
        metadata={
            "sinks": MetadataValue.int(len(loaded.recommendations.sinks)),
            "outcomes": MetadataValue.json(dict(outcomes)),
            **preview_metadata(sum(outcomes.values()), ["sink:outcome", "tickets"], sorted(outcomes.items())),
        }
    )
