-- One GPU model's configured idle and max power (see create_gpu_model_power.sql).
INSERT INTO gpu_model_power (gpu_model, idle_w, max_w) VALUES ($gpu_model, $idle_w, $max_w);
