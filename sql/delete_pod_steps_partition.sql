-- Remove one day partition of pod_steps before it is loaded again (same transaction as the insert).
DELETE FROM pod_steps WHERE day = $day;
