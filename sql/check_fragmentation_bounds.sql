-- Asset check: fragmentation rows of one day out of range (ratio outside 0-100, negative or excess free GPUs).
SELECT
    (SELECT count(*) FROM node_fragmentation WHERE day = $day AND (
        fragmentation_ratio NOT BETWEEN 0 AND 100 OR free_whole_gpus < 0 OR free_whole_gpus > gpus
        OR fragmentation_gpus < 0 OR fragmentation_gpus > free_gpu_share + 1e-9))
  + (SELECT count(*) FROM cluster_fragmentation WHERE day = $day AND fragmentation_ratio NOT BETWEEN 0 AND 100);
