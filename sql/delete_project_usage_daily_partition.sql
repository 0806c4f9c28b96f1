-- Remove one day partition of project_usage_daily before it is loaded again (same transaction as the insert).
DELETE FROM project_usage_daily WHERE day = $day;
