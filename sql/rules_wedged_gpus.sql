-- Wedged collectives in [$window_start, $window_end): one row per (wedged run, GPU of its gang), merged from the
-- per-day aggregates of the window's whole days and of its edge parts: wedged_steps_day (the GPU-steps of every
-- workload step with 2 busy-looking candidates), gang_work_day and rule_gpu_day's busy_candidates (for the gang's
-- first real work). Each GPU-step is judged by the busy-looking-idle macro (sql/create_macros.sql) against the
-- window's power limits (gpu_power_limits). A run crossing midnight is one run: its days' steps are one island.
-- A gang is the GPUs of one workload when its owner kind is one of $gang_owner_kinds (the pods of one Job,
-- PyTorchJob, MPIJob...), else the GPUs of one pod. A step of a gang is wedged when at least 2 of its GPUs are
-- busy-looking idle and at most $wedged_max_odd_gpus of its GPUs are not (the odd ones out: the likely culprits).
-- A run is consecutive wedged steps lasting at least $wedged_min_minutes. Per GPU of the gang in the run: its
-- steps, its busy-looking idle steps and its mean activity; gang_gpu_hours = every GPU-step of the gang in the run;
-- first_work_ts = the gang's first step in the window with real busy work (a GPU at activity >= $fake_activity_min
-- that is not busy-looking idle): a wedge is a change of state, a gang that spins from its first step is a busy loop.
WITH step_days AS (
    SELECT * FROM wedged_steps_day WHERE day BETWEEN $full_first AND $full_last
    UNION ALL BY NAME
    SELECT * FROM partial_wedged_steps_day
),
gpu_steps AS (
    SELECT
        s.cluster,
        s.namespace,
        s.workload,
        CASE WHEN list_contains($gang_owner_kinds, s.owner_kind) THEN s.workload ELSE s.workload || ' pod ' || s.uid END
            AS gang,
        s.ts,
        s.uid,
        s.pod,
        s.node,
        s.gpu_uuid,
        s.gpu_index,
        s.activity,
        busy_looking_idle(
            s.activity, s.sm_active, s.tensor_active, s.dram_active, s.power_w, l.idle_power_w, l.max_power_w,
            $fake_activity_min, $fake_profiling_max, $fake_sm_active_max, $fake_power_headroom
        ) AS busy_looking_idle
    FROM step_days AS s
    LEFT JOIN gpu_power_limits AS l ON l.cluster = s.cluster AND l.gpu_uuid = s.gpu_uuid
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
),
run_workloads AS (
    SELECT DISTINCT cluster, namespace, workload FROM runs
),
pods AS (
    -- the pods of the workloads with a run, each day with its owner kind (so its gang) and its first real work
    -- that needs no power limits
    SELECT
        w.day,
        w.cluster,
        w.namespace,
        w.workload,
        w.uid,
        CASE WHEN list_contains($gang_owner_kinds, w.owner_kind) THEN w.workload ELSE w.workload || ' pod ' || w.uid END
            AS gang,
        w.first_work_ts
    FROM (
        SELECT * FROM gang_work_day WHERE day BETWEEN $full_first AND $full_last
        UNION ALL BY NAME
        SELECT * FROM partial_gang_work_day
    ) AS w
    SEMI JOIN run_workloads AS r
        ON r.cluster = w.cluster AND r.namespace IS NOT DISTINCT FROM w.namespace
        AND r.workload IS NOT DISTINCT FROM w.workload
),
candidate_work AS (
    -- the high-activity steps the macro did not rule out without limits: real work when not busy-looking idle
    -- against the window's limits
    SELECT p.cluster, p.namespace, p.gang, min(c.step.ts) AS first_work_ts
    FROM (
        SELECT * FROM rule_gpu_day WHERE day BETWEEN $full_first AND $full_last
        UNION ALL BY NAME
        SELECT * FROM partial_rule_gpu_day
    ) AS d
    JOIN pods AS p
        ON p.day = d.day AND p.cluster = d.cluster AND p.uid IS NOT DISTINCT FROM d.uid
        AND p.namespace IS NOT DISTINCT FROM d.namespace AND p.workload IS NOT DISTINCT FROM d.workload
    CROSS JOIN unnest(d.busy_candidates) AS c(step)
    LEFT JOIN gpu_power_limits AS l ON l.cluster = d.cluster AND l.gpu_uuid = d.gpu_uuid
    WHERE c.step.activity >= $fake_activity_min
      AND NOT busy_looking_idle(
        c.step.activity, c.step.sm_active, c.step.tensor_active, c.step.dram_active, c.step.power_w,
        l.idle_power_w, l.max_power_w,
        $fake_activity_min, $fake_profiling_max, $fake_sm_active_max, $fake_power_headroom
    )
    GROUP BY p.cluster, p.namespace, p.gang
),
gang_work AS (
    SELECT cluster, namespace, gang, min(first_work_ts) AS first_work_ts
    FROM (
        SELECT cluster, namespace, gang, first_work_ts FROM pods WHERE first_work_ts IS NOT NULL
        UNION ALL
        SELECT cluster, namespace, gang, first_work_ts FROM candidate_work
    )
    GROUP BY cluster, namespace, gang
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
