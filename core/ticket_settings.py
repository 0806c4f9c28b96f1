"""`[tickets]`: who acts on a ticket and until when it is acknowledged (README "Owners", "Acknowledge and snooze").

The owner of a ticket is the first found of: the workload's pod label (any of `owner_label_keys`, first non-empty
wins), its namespace's label, then `contacts` (the Project's entry, else its Workspace's). The Slack channel
is looked up the same way (`channel_label_keys`, then `contacts`). A ticket is acknowledged through the later of
its pods' `snooze_annotation` date and its `acknowledged` entry; a date that does not parse is warned about and
ignored (the ticket stays active).
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Contact(_Strict):
    """Who acts for a Workspace or a Project, and where to tell them."""

    owner: str | None = Field(None, min_length=1, description="A person, team or e-mail; a Jira user name.")
    slack_channel: str | None = Field(None, min_length=1, description="e.g. #vision-gpus (Slack sinks post there).")


class Contacts(_Strict):
    workspaces: dict[str, Contact] = Field(default_factory=dict, description="Workspace -> contact.")
    projects: dict[str, Contact] = Field(default_factory=dict, description="Project -> contact (beats Workspace).")


class TicketRoutingSettings(_Strict):
    owner_label_keys: list[str] = Field(
        default_factory=lambda: ["label_owner", "label_contact", "label_team"],
        min_length=1,
        description="Pod/namespace label keys naming the owner, in order of preference (kube-state-metrics names).",
    )
    channel_label_keys: list[str] = Field(
        default_factory=lambda: ["label_slack_channel"],
        description="Pod/namespace label keys naming the owner's Slack channel.",
    )
    snooze_annotation: str = Field(
        "annotation_gpu_reclaim_snooze_until",
        min_length=1,
        description="Pod annotation (gpu-reclaim/snooze-until=YYYY-MM-DD) acknowledging the workload's tickets.",
    )
    contacts: Contacts = Field(default_factory=Contacts)
    acknowledged: dict[str, str] = Field(
        default_factory=dict, description="Ticket id -> YYYY-MM-DD: acknowledged through that day."
    )
