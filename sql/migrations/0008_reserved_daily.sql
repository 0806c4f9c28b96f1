-- 0008 is reserved for the `daily` helper's migration (per-day rule aggregates) in this session. This placeholder
-- only keeps the numbers without gaps on the `clusters` branch; the lead drops it when merging daily's 0008.
SELECT 1;
