-- The schema version of the file: one row per migration (sql/migrations/NNNN_<name>.sql) the file has.
--   version              the migration's number NNNN; the file's schema version is the highest one
--   name                 the migration's name (the file name without NNNN_ and .sql)
--   applied_at           when it was applied (UTC)
--   gpu_reclaim_version  the gpu-reclaim version that applied it
--   sha256               the SHA-256 of the migration file that was applied
--   how                  'applied' (the file ran), or 'adopted': a v0.1.0 file already had 0001's tables, so 0001
--                        was recorded without running it (applied_at is then the time of the upgrade)
-- Created by the migration runner in the transaction of the first migration it records.
CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY,
    name VARCHAR NOT NULL,
    applied_at TIMESTAMP NOT NULL,
    gpu_reclaim_version VARCHAR NOT NULL,
    sha256 VARCHAR NOT NULL,
    how VARCHAR NOT NULL
);
