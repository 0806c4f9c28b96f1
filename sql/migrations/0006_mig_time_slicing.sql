-- 0006: MIG instances and time-sliced GPUs (README "MIG and time-sliced GPUs"). Columns only; every old row keeps
-- its values and reads as what v0.1.0 measured: one whole GPU per device, usage measured, not estimated.
--   gpu_samples.gpu_instance_id / mig_profile  the MIG instance (dcgm-exporter GPU_I_ID / GPU_I_PROFILE) of a row;
--                                              NULL for a whole GPU
--   gpu_samples.vgpu                           the copy of a time-sliced GPU's series (KUBERNETES_VIRTUAL_GPUS)
--   pod_steps.gpu_sharing                      'mig', 'time_sliced' or NULL (whole GPUs / GPU-milli)
--   pod_steps.mig_profile                      the MIG profile requested (several: joined by ',')
--   nodes.gpu_sharing / mig_strategy / gpu_replicas / gpu_devices_allocatable
--                                              how the node's GPUs are shared, and its advertised devices
--                                              (instances or replicas) next to gpu_allocatable in GPUs
--   pod_gpu_usage_*.gpu_fraction               the share of the GPU the pod holds (MIG g/slices; 1/N replicas)
--   *.usage_estimated                          used GPU-hours split from a time-sliced GPU's activity (estimated)
--   project_usage_daily.estimated_used_gpu_hours  the part of used_gpu_hours that is estimated
ALTER TABLE gpu_samples ADD COLUMN gpu_instance_id VARCHAR;
ALTER TABLE gpu_samples ADD COLUMN mig_profile VARCHAR;
ALTER TABLE gpu_samples ADD COLUMN vgpu VARCHAR;
ALTER TABLE pod_steps ADD COLUMN gpu_sharing VARCHAR;
ALTER TABLE pod_steps ADD COLUMN mig_profile VARCHAR;
ALTER TABLE nodes ADD COLUMN gpu_sharing VARCHAR;
ALTER TABLE nodes ADD COLUMN mig_strategy VARCHAR;
ALTER TABLE nodes ADD COLUMN gpu_replicas INTEGER;
ALTER TABLE nodes ADD COLUMN gpu_devices_allocatable DOUBLE;
ALTER TABLE pod_gpu_usage_daily ADD COLUMN gpu_instance_id VARCHAR;
ALTER TABLE pod_gpu_usage_daily ADD COLUMN mig_profile VARCHAR;
ALTER TABLE pod_gpu_usage_daily ADD COLUMN gpu_fraction DOUBLE DEFAULT 1.0;
ALTER TABLE pod_gpu_usage_daily ADD COLUMN usage_estimated BOOLEAN DEFAULT false;
ALTER TABLE pod_gpu_usage_hourly ADD COLUMN gpu_instance_id VARCHAR;
ALTER TABLE pod_gpu_usage_hourly ADD COLUMN gpu_fraction DOUBLE DEFAULT 1.0;
ALTER TABLE pod_gpu_usage_hourly ADD COLUMN usage_estimated BOOLEAN DEFAULT false;
ALTER TABLE pod_usage_daily ADD COLUMN gpu_sharing VARCHAR;
ALTER TABLE pod_usage_daily ADD COLUMN mig_profile VARCHAR;
ALTER TABLE pod_usage_daily ADD COLUMN usage_estimated BOOLEAN DEFAULT false;
ALTER TABLE project_usage_daily ADD COLUMN usage_estimated BOOLEAN DEFAULT false;
ALTER TABLE project_usage_daily ADD COLUMN estimated_used_gpu_hours DOUBLE DEFAULT 0.0;
