-- Remove one day partition of machine_group_usage_hourly before it is loaded again.
DELETE FROM machine_group_usage_hourly WHERE day = $day;
