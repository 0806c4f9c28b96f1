-- The latest evaluation day the ticket history has moved to (NULL before the first).
SELECT max(last_evaluated_on) FROM ticket_history;
