-- One row per (sink, idempotency key): one event of one ticket (its id, status and severity) sent, being
-- sent (pending: written before the request, so a crash never leads to a second post) or failed.
CREATE TABLE IF NOT EXISTS ticket_deliveries (
    sink VARCHAR NOT NULL,
    idempotency_key VARCHAR NOT NULL,
    ticket_id VARCHAR NOT NULL,
    status VARCHAR NOT NULL,
    severity VARCHAR NOT NULL,
    state VARCHAR NOT NULL,
    attempts INTEGER NOT NULL,
    attempted_at TIMESTAMP NOT NULL,
    sent_at TIMESTAMP,
    remote_ref VARCHAR,
    error VARCHAR,
    PRIMARY KEY (sink, idempotency_key)
);
