-- Record one migration as part of the file's schema (same transaction as the migration itself).
INSERT INTO schema_migrations (version, name, applied_at, gpu_reclaim_version, sha256, how)
VALUES ($version, $name, now() AT TIME ZONE 'UTC', $gpu_reclaim_version, $sha256, $how);
