-- Remove one day partition of pending_demand before it is loaded again (same transaction as the insert).
DELETE FROM pending_demand WHERE day = $day;
