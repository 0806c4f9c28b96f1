-- Every ticket's lifecycle row (ticket_history), for the transition of one evaluation.
SELECT
    finding_id,
    rule,
    workspace,
    status,
    severity,
    first_seen,
    last_seen,
    resolved_at,
    last_evaluated_on,
    CAST(ticket AS VARCHAR) AS ticket
FROM ticket_history
ORDER BY finding_id;
