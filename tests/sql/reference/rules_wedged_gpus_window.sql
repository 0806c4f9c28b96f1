-- Reference (issue 16): sql/rules_wedged_gpus.sql as it was before it merged the per-day aggregates (it read
-- rule_gpu_steps of the whole window); tests/sql/test_rule_day_aggregates.py proves both find the same rows.
-- Wedged collectives in [$window_start, $window_end): one row per (wedged run, GPU of its gang), from
-- rule_gpu_steps (whose busy_looking_idle is the fake-busy step's one definition, sql/create_macros.sql).
-- A gang is the GPUs of one workload when its owner kind is one of $gang_owner_kinds (the pods of one Job,
-- PyTorchJob, MPIJob...), else the GPUs of one pod. A step of a gang is wedged when at least 2 of its GPUs are
-- busy-looking idle and at most $wedged_max_odd_gpus of its GPUs are not (the odd ones out: the likely culprits).
-- A run is consecutive wedged steps lasting at least $wedged_min_minutes. Per GPU of the gang in the run: its
-- steps, its busy-looking idle steps and its mean activity; gang_gpu_hours = every GPU-step of the gang in the run;
-- first_work_ts = the gang's first step in the window with real busy work (a GPU at activity >= $fake_activity_min
-- that is not busy-looking idle): a wedge is a change of state, a gang that spins from its first step is a busy loop.
WITH gpu_steps AS (
    SELECT
        cluster,
        namespace,
        workload,
        CASE WHEN list_contains($gang_owner_kinds, owner_kind) THEN workload ELSE workload || ' pod ' || uid END
            AS gang,
        ts,
        uid,
        pod,
        node,
        gpu_uuid,
        gpu_index,
        activity,
        busy_looking_idle
    FROM rule_gpu_steps
),
gang_work AS (
    SELECT cluster, namespace, gang, min(ts) AS first_work_ts
    FROM gpu_steps
    WHERE activity >= $fake_activity_min AND NOT busy_looking_idle
    GROUP BY cluster, namespace, gang
),
gang_steps AS (
    SELECT cluster, namespace, workload, gang, ts, count(*) AS gpus, count(*) FILTER (WHERE busy_looking_idle) AS spinning
    FROM gpu_steps
    GROUP BY cluster, namespace, workload, gang, ts
),
wedged AS (
    SELECT
        *,
        epoch(ts) - row_number() OVER (PARTITION BY cluster, namespace, gang ORDER BY ts) * $step_seconds AS island
    FROM gang_steps
    WHERE spinning >= 2 AND gpus - spinning <= $wedged_max_odd_gpus
),
runs AS (
    SELECT
        cluster,
        namespace,
        workload,
        gang,
        island,
        min(ts) AS run_start,
        max(ts) + to_seconds($step_seconds) AS run_end,
        count(*) * $step_seconds / 3600.0 AS run_hours,
        max(gpus) AS gang_gpus,
        sum(gpus) * $step_seconds / 3600.0 AS gang_gpu_hours
    FROM wedged
    GROUP BY cluster, namespace, workload, gang, island
    HAVING count(*) * $step_seconds >= $wedged_min_minutes * 60
)
SELECT
    r.cluster,
    r.namespace,
    r.workload,
    r.gang,
    r.run_start,
    r.run_end,
    r.run_hours,
    r.gang_gpus,
    r.gang_gpu_hours,
    any_value(gw.first_work_ts) AS first_work_ts,
    g.uid,
    any_value(g.pod) AS pod,
    any_value(g.node) AS node,
    g.gpu_uuid,
    any_value(g.gpu_index) AS gpu_index,
    count(*) AS steps_in_run,
    count(*) FILTER (WHERE g.busy_looking_idle) AS busy_looking_steps,
    avg(g.activity) AS mean_activity
FROM runs AS r
JOIN wedged AS w ON w.cluster = r.cluster AND w.namespace = r.namespace AND w.gang = r.gang AND w.island = r.island
JOIN gpu_steps AS g ON g.cluster = w.cluster AND g.namespace = w.namespace AND g.gang = w.gang AND g.ts = w.ts
LEFT JOIN gang_work AS gw ON gw.cluster = r.cluster AND gw.namespace = r.namespace AND gw.gang = r.gang
GROUP BY r.cluster, r.namespace, r.workload, r.gang, r.run_start, r.run_end, r.run_hours, r.gang_gpus, r.gang_gpu_hours,
    g.uid, g.gpu_uuid
ORDER BY r.cluster, r.namespace, r.workload, r.run_start, any_value(g.node), any_value(g.gpu_index), g.gpu_uuid;
