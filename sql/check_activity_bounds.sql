-- Asset check: rows of one day of gpu_samples whose cleaned values are out of range (should be 0).
SELECT count(*) FROM gpu_samples
WHERE day = $day AND (
    gpu_util NOT BETWEEN 0 AND 100
    OR gr_engine_active NOT BETWEEN 0 AND 1
    OR sm_active NOT BETWEEN 0 AND 1
    OR tensor_active NOT BETWEEN 0 AND 1
    OR dram_active NOT BETWEEN 0 AND 1
    OR fb_used_mib < 0 OR fb_free_mib < 0 OR power_w < 0
);
