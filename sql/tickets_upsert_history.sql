-- Write one ticket's lifecycle row after an evaluation (the row is replaced as a whole).
INSERT OR REPLACE INTO ticket_history (
    finding_id, rule, workspace, status, severity, first_seen, last_seen, resolved_at, last_evaluated_on, ticket, cluster
)
VALUES (
    $finding_id, $rule, $workspace, $status, $severity, $first_seen, $last_seen, $resolved_at,
    $last_evaluated_on, $ticket, $cluster
);
