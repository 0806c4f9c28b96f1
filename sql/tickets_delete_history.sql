-- Forget a ticket that only a same-day earlier run of this evaluation had opened (a re-run no longer finds it).
DELETE FROM ticket_history WHERE finding_id = $finding_id;
