-- Remove one day partition of workspace_usage_daily before it is loaded again (same transaction as the insert).
DELETE FROM workspace_usage_daily WHERE day = $day;
