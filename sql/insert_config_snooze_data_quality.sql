-- Count the config's tickets.acknowledged entries whose date is not YYYY-MM-DD on the evaluation day $day (stage
-- 'tickets', rule 'snooze_date_malformed'; counted by store.snooze_quality with routing.parse_day, warned about by
-- scoring.routing; the tickets stay active). Nothing is written when every date parses.
INSERT INTO data_quality (day, stage, rule, metric, affected)
SELECT CAST($day AS DATE), 'tickets', 'snooze_date_malformed', 'tickets.acknowledged', CAST($affected AS BIGINT)
WHERE $affected > 0;
