-- Asset check: (step, device) pairs that appear more than once in one day of gpu_samples (should be 0); a device
-- is a GPU, one of its MIG instances, or one vgpu copy of a time-sliced GPU.
SELECT count(*) FROM (
    SELECT ts, gpu_uuid, gpu_instance_id, vgpu FROM gpu_samples WHERE day = $day
    GROUP BY ts, gpu_uuid, gpu_instance_id, vgpu HAVING count(*) > 1
);
