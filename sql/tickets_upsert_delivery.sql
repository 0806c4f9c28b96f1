-- Record one delivery's state (pending before the request, then sent or failed).
INSERT OR REPLACE INTO ticket_deliveries (
    sink, idempotency_key, ticket_id, status, severity, state, attempts, attempted_at, sent_at, remote_ref, error
)
VALUES (
    $sink, $idempotency_key, $ticket_id, $status, $severity, $state, $attempts, $attempted_at, $sent_at,
    $remote_ref, $error
);
