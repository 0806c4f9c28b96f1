-- Asset check: (step, GPU) pairs that appear more than once in one day of gpu_samples (should be 0).
SELECT count(*) FROM (
    SELECT ts, gpu_uuid FROM gpu_samples WHERE day = $day GROUP BY ts, gpu_uuid HAVING count(*) > 1
);
