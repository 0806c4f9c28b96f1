-- Remove one day partition of nodes before it is loaded again (same transaction as the insert).
DELETE FROM nodes WHERE day = $day;
