-- Remove one day partition of pods before it is loaded again (same transaction as the insert).
DELETE FROM pods WHERE day = $day;
