-- Remove one day partition of defrag_plans before it is loaded again (same transaction as the insert).
DELETE FROM defrag_plans WHERE day = $day;
