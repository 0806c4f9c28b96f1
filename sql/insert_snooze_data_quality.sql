-- Count one day's pods whose snooze annotation ($snooze_key, gpu-reclaim/snooze-until) is not a YYYY-MM-DD date
-- (stage 'ticket_labels', rule 'snooze_date_malformed'). scoring.routing warns about each and leaves its tickets
-- active; the count shows on the overview's data-quality table. Same test as routing.parse_day: 10 characters
-- after trimming that parse as year-month-day.
INSERT INTO data_quality (day, stage, rule, metric, affected)
SELECT CAST($day AS DATE), 'ticket_labels', 'snooze_date_malformed', $snooze_key, count(DISTINCT uid)
FROM ticket_labels
WHERE day = $day AND scope = 'pod' AND snooze_until IS NOT NULL
    AND (length(trim(snooze_until)) <> 10 OR TRY_STRPTIME(trim(snooze_until), '%Y-%m-%d') IS NULL)
HAVING count(DISTINCT uid) > 0;
