-- The migrations a file records, in order.
SELECT version, name, applied_at, gpu_reclaim_version, sha256, how
FROM schema_migrations
ORDER BY version;
