-- The devices of the staged DCGM day (stage_dcgm_devices.sql): their gpu_id run from 1 to this count.
SELECT count(*) FROM stage_dcgm_devices;
