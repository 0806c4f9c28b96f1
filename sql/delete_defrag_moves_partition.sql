-- Remove one day partition of defrag_moves before it is loaded again (same transaction as the insert).
DELETE FROM defrag_moves WHERE day = $day;
