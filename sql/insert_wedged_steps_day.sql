-- One day of wedged_steps_day from staged_wedged_steps_day (sql/stage_wedged_steps_day.sql).
INSERT INTO wedged_steps_day BY NAME SELECT * FROM staged_wedged_steps_day;
