-- Scored days from $since up to (not including) $day whose write-back is missing or failed for some stage
-- ($stages stages in all), oldest first: the next run writes them again.
SELECT DISTINCT u.day
FROM machine_group_usage_hourly AS u
WHERE u.day >= $since AND u.day < $day
  AND (
      SELECT count(*) FROM write_back_status AS s WHERE s.day = u.day AND s.status = 'written'
  ) < $stages
ORDER BY u.day;
