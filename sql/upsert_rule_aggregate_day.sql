-- Record that `day`'s rule aggregates were computed under the settings with this fingerprint (same transaction).
INSERT OR REPLACE INTO rule_aggregate_days (day, fingerprint, aggregated_at)
VALUES ($day, $fingerprint, now() AT TIME ZONE 'UTC');
