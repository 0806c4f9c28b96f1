-- Remove one day partition of cluster_fragmentation before it is loaded again (same transaction as the insert).
DELETE FROM cluster_fragmentation WHERE day = $day;
