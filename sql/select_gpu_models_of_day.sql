-- Every GPU model named on a day, by node labels or by DCGM samples.
SELECT DISTINCT gpu_model FROM nodes WHERE day = $day AND gpu_model IS NOT NULL
UNION
SELECT DISTINCT gpu_model FROM gpu_samples WHERE day = $day AND gpu_model IS NOT NULL
UNION
SELECT 'unknown';
