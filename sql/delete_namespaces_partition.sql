-- Remove one day partition of namespaces before it is loaded again (same transaction as the insert).
DELETE FROM namespaces WHERE day = $day;
