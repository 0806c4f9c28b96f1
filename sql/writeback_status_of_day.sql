-- The recorded write-back outcome of each stage of one day.
SELECT stage, status, series, samples, error, attempted_at, written_at
FROM write_back_status WHERE day = $day ORDER BY stage;
