-- Every delivery of one sink, newest first, to decide what a ticket still needs.
SELECT idempotency_key, ticket_id, status, severity, state, attempted_at, sent_at, remote_ref
FROM ticket_deliveries
WHERE sink = $sink
ORDER BY ticket_id, attempted_at DESC, idempotency_key;
