DELETE FROM quota_demand_day WHERE day = $day;
