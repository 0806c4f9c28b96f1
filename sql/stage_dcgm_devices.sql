-- Number the devices of the staged DCGM day (stage_dcgm): one per (cluster, gpu_uuid, MIG instance, vgpu copy).
-- gpu_id is what stage_dcgm_steps.sql groups on (an integer, not a string), and its batches are gpu_id ranges; a MIG
-- instance's or a vgpu copy's samples are never averaged with another device's.
CREATE OR REPLACE TEMP TABLE stage_dcgm_devices AS
SELECT cluster, gpu_uuid, gpu_instance_id, vgpu, CAST(row_number() OVER () AS INTEGER) AS gpu_id
FROM (SELECT DISTINCT cluster, gpu_uuid, gpu_instance_id, vgpu FROM stage_dcgm);
