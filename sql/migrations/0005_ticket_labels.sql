-- 0005: the labels and annotations that route and snooze tickets (core/ticket_settings.py), one UTC day partition
-- per ingest of kube-state-metrics, like pods and namespaces. One row per (day, scope, namespace, uid):
--   scope          'pod' (kube_pod_labels / kube_pod_annotations of a pod seen that day; uid its uid) or
--                  'namespace' (kube_namespace_labels; uid '')
--   pod            the pod's name ('' for a namespace)
--   owner          the first non-empty value of tickets.owner_label_keys (label_owner, label_contact, label_team)
--   owner_channel  the first non-empty value of tickets.channel_label_keys (label_slack_channel)
--   snooze_until   the raw text of tickets.snooze_annotation (gpu-reclaim/snooze-until), parsed when tickets are
--                  made: a malformed date is warned about there, never dropped here
-- Only pods and namespaces with at least one of the three get a row. A v0.1.0 file gets the empty table; its
-- days get rows when they are ingested again.
CREATE TABLE ticket_labels (
    day DATE NOT NULL,
    scope VARCHAR NOT NULL,
    namespace VARCHAR NOT NULL,
    uid VARCHAR NOT NULL,
    pod VARCHAR NOT NULL,
    owner VARCHAR,
    owner_channel VARCHAR,
    snooze_until VARCHAR,
    PRIMARY KEY (day, scope, namespace, uid)
);
