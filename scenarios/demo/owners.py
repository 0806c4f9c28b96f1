"""Who owns what in the demo cluster, and what is snoozed: namespace and pod owner labels, the config map of
Workspace/Project contacts the demo writes into its config (out/demo_config.toml), and one workload snoozed with
the `gpu-reclaim/snooze-until` annotation. The truth (`owners`, `snoozed`) says what each ticket must carry."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

# namespace -> kube_namespace_labels owner labels
NAMESPACE_LABELS: dict[str, dict[str, str]] = {
    "llm-pretrain": {"label_owner": "llm-leads"},
    "rl-lab": {"label_owner": "rl-team", "label_slack_channel": "#rl-lab-gpus"},
    "vision": {"label_team": "vision-team"},
    "recsys": {"label_contact": "recsys-oncall@example.com"},
    "eval-qa": {"label_owner": "eval-team"},
}
# (namespace, workload) -> kube_pod_labels owner labels of every pod of the workload (beat the namespace's)
POD_LABELS: dict[tuple[str, str], dict[str, str]] = {
    ("nb-shared", "StatefulSet/jupyter-alice"): {"label_owner": "alice"},
}
# The config map: Workspace/Project -> contact and Slack channel (the Project's entry beats the Workspace's)
CONTACTS: dict[str, dict[str, dict[str, str]]] = {
    "workspaces": {
        "platform": {"owner": "platform-team", "slack_channel": "#gpu-platform"},
        "product": {"owner": "product-infra", "slack_channel": "#product-gpus"},
        "cluster": {"owner": "platform-team", "slack_channel": "#gpu-platform"},
    },
    "projects": {"chat": {"owner": "chat-team"}},
}
# The snoozed workload: its tickets are acknowledged for SNOOZE_DAYS after the demo's last day
SNOOZED = ("chat-serving", "StatefulSet/kv-cache-warm")
SNOOZE_DAYS = 7
SNOOZE_ANNOTATION = "annotation_gpu_reclaim_snooze_until"


def snooze_until(last_day: date) -> date:
    return last_day + timedelta(days=SNOOZE_DAYS)


def pod_labels(namespace: str, workload: str) -> dict[str, str]:
    return dict(POD_LABELS.get((namespace, workload), {}))


def pod_annotations(namespace: str, workload: str, last_day: date) -> dict[str, str]:
    """The snooze annotation of the snoozed workload's pods (nothing for the others)."""
    if (namespace, workload) != SNOOZED:
        return {}
    return {SNOOZE_ANNOTATION: snooze_until(last_day).isoformat()}


def _first(labels: dict[str, str], keys: tuple[str, ...]) -> str | None:
    return next((labels[key] for key in keys if labels.get(key)), None)


def expected_owner(namespace: str, workload: str, workspace: str, project: str) -> tuple[str | None, str | None]:
    """(owner, channel) a ticket must carry: pod label, else namespace label, else the config's contacts."""
    keys = ("label_owner", "label_contact", "label_team")
    pod, ns = POD_LABELS.get((namespace, workload), {}), NAMESPACE_LABELS.get(namespace, {})
    by_project = CONTACTS["projects"].get(project, {})
    by_workspace = CONTACTS["workspaces"].get(workspace, {})
    owner = _first(pod, keys) or _first(ns, keys) or by_project.get("owner") or by_workspace.get("owner")
    channel = (
        pod.get("label_slack_channel")
        or ns.get("label_slack_channel")
        or by_project.get("slack_channel")
        or by_workspace.get("slack_channel")
    )
    return owner, channel


def config_toml(step_seconds: int) -> str:
    """The demo's config file: the step, the cluster label (two clusters, scenarios/demo/east.py) and the contacts
    config map."""
    lines = [f"step_seconds = {int(step_seconds)}", "", "[labels]", 'cluster_label = "cluster"', ""]
    for scope, entries in CONTACTS.items():
        for name, contact in entries.items():
            lines.append(f'[tickets.contacts.{scope}."{name}"]')
            lines += [f'{key} = "{value}"' for key, value in contact.items()]
            lines.append("")
    return "\n".join(lines)


def _owner_row(finding: dict[str, Any]) -> dict[str, Any]:
    owner, channel = expected_owner(finding["namespace"], finding["workload"], finding["workspace"], finding["project"])
    ident = {key: finding[key] for key in ("rule", "namespace", "workload")}
    return {**ident, "owner": owner, "owner_channel": channel}


def owners_truth(findings: list[dict[str, Any]], last_day: date) -> dict[str, Any]:
    """Per planted finding (with its workspace and project) its expected owner and channel; and the snoozed
    workload with its date."""
    return {
        "owners": [_owner_row(finding) for finding in findings],
        "snoozed": [
            {"namespace": SNOOZED[0], "workload": SNOOZED[1], "snooze_until": snooze_until(last_day).isoformat()}
        ],
    }
