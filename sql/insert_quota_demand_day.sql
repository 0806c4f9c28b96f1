-- One day of quota_demand_day from staged_quota_demand_day (sql/stage_quota_demand_day.sql).
INSERT INTO quota_demand_day BY NAME SELECT * FROM staged_quota_demand_day;
