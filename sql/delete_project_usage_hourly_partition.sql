-- Remove one day partition of project_usage_hourly before it is loaded again (same transaction as the insert).
DELETE FROM project_usage_hourly WHERE day = $day;
