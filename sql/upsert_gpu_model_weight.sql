-- Record the H100-equivalent weight and price of one GPU model (from the config).
INSERT OR REPLACE INTO gpu_model_weights VALUES ($gpu_model, $h100_equivalent, $price_per_gpu_hour);
