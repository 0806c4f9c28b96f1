-- A day's inputs were replaced (an ingest stage): its rule aggregates are out of date until the usage stage (or the
-- rules, for a day of their window) aggregates it again. Its rows stay until then; this record is what says so.
DELETE FROM rule_aggregate_days WHERE day = $day;
