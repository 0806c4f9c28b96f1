-- The DCGM model names of the GPU samples in [$range_start, $range_end).
SELECT DISTINCT gpu_model
FROM gpu_samples
WHERE day BETWEEN CAST($range_start AS DATE) AND CAST($range_end AS DATE)
  AND ts >= $range_start AND ts < $range_end
  AND gpu_model IS NOT NULL
ORDER BY gpu_model;
