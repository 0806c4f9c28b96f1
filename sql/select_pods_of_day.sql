-- The pods of one day: owner, category and exemption (fragmentation and plan input).
SELECT uid, owner_kind, owner_name, category, reclaim_exempt, gpu_share_index FROM pods WHERE day = $day ORDER BY uid;
