-- The pods of one day: owner, category and exemption (fragmentation and plan input), with their cluster.
SELECT uid, owner_kind, owner_name, category, reclaim_exempt, gpu_share_index, cluster
FROM pods WHERE day = $day ORDER BY cluster, uid;
