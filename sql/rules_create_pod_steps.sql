-- One row per (step, pod uid) in [$window_start, $window_end) in which the pod was allocated (Running and
-- gpus_requested > 0), with its workload, class, Project, Workspace and Machine Group. Temp table of one run.
-- Every pod when $all_uids, else only the pods of $uids (the wedged-collective rule's candidates).
CREATE OR REPLACE TEMP TABLE rule_pod_steps AS
SELECT
    s.day,
    s.ts,
    s.cluster,
    s.uid,
    s.namespace,
    s.pod,
    s.node,
    s.gpus_requested,
    coalesce(p.owner_kind, 'Pod') AS owner_kind,
    coalesce(p.owner_name, s.pod) AS owner_name,
    coalesce(p.owner_kind, 'Pod') || '/' || coalesce(p.owner_name, s.pod) AS workload,
    coalesce(p.category, 'unknown') AS category,
    coalesce(p.purpose, 'unknown') AS purpose,
    coalesce(p.provisioning_type, 'unknown') AS provisioning_type,
    coalesce(p.reclaim_exempt, false) AS reclaim_exempt,
    coalesce(n.workspace, 'unassigned') AS workspace,
    coalesce(n.project, s.namespace) AS project,
    coalesce(nd.machine_group, nd.gpu_model, 'unknown') AS machine_group,
    nd.gpu_model AS node_gpu_model,
    nd.gpu_sharing AS node_gpu_sharing,
    nd.gpu_replicas AS node_gpu_replicas
FROM pod_steps AS s
LEFT JOIN pods AS p ON p.day = s.day AND p.cluster = s.cluster AND p.uid = s.uid
LEFT JOIN namespaces AS n ON n.day = s.day AND n.cluster = s.cluster AND n.namespace = s.namespace
LEFT JOIN nodes AS nd ON nd.day = s.day AND nd.cluster = s.cluster AND nd.node = s.node
WHERE s.phase = 'Running'
  AND s.gpus_requested > 0
  AND s.day BETWEEN CAST($window_start AS DATE) AND CAST($window_end AS DATE)
  AND s.ts >= $window_start
  AND s.ts < $window_end
  AND ($all_uids OR s.uid IN (SELECT unnest(CAST($uids AS VARCHAR[]))));
