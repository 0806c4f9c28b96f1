-- Remove one day partition of quota_steps before it is loaded again (same transaction as the insert).
DELETE FROM quota_steps WHERE day = $day;
