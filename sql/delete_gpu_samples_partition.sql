-- Remove one day partition of gpu_samples before it is loaded again (same transaction as the insert).
DELETE FROM gpu_samples WHERE day = $day;
