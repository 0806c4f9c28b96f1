-- Helpers every connection defines (temporary, per connection).
-- first_label(labels, keys): the first non-empty value among `keys` in a series' label map.
CREATE OR REPLACE TEMP MACRO first_label(labels, keys) AS
    list_filter(list_transform(keys, lambda k: labels[k]), lambda v: v IS NOT NULL AND v <> '')[1];
-- pod_uid(labels): the pod uid of a kube-state-metrics series: its `uid` label, else namespace/pod (a series
-- without it), the one key of pod_steps, pods and ticket_labels (with the cluster).
CREATE OR REPLACE TEMP MACRO pod_uid(labels) AS
    coalesce(nullif(labels['uid'], ''), labels['namespace'] || '/' || labels['pod']);
-- step_start(ms, step_seconds): the start of the analysis step holding a millisecond timestamp.
CREATE OR REPLACE TEMP MACRO step_start(ms, step_seconds) AS
    epoch_ms((ms // (step_seconds * 1000)) * (step_seconds * 1000));
-- exact_sum / exact_avg: order-independent aggregates. DuckDB sums DOUBLEs in parallel, in no fixed order, so a
-- re-run could differ in the last bits; summing as DECIMAL(38, 10) is exact, so a re-run gives identical tables.
CREATE OR REPLACE TEMP MACRO exact_sum(x) AS CAST(sum(CAST(x AS DECIMAL(38, 10))) AS DOUBLE);
CREATE OR REPLACE TEMP MACRO exact_avg(x) AS CAST(sum(CAST(x AS DECIMAL(38, 10))) AS DOUBLE) / count(x);
-- gpu_holder_key(): the columns that key a GPU holder's row (a pod on a GPU, a MIG instance or a time-sliced
-- replica) in the rules' per-day aggregates and their window merges (stage_rule_gpu_day.sql, stage_idle_runs_day.sql,
-- rules_gpu_stats.sql): SELECT COLUMNS(gpu_holder_key()) lists them in this order.
CREATE OR REPLACE TEMP MACRO gpu_holder_key() AS
    ['cluster', 'namespace', 'workload', 'uid', 'gpu_uuid', 'gpu_instance_id'];
-- usage_hours(): the GPU-hour figures of the usage tables, in their column order; a Project's are its pods' summed,
-- a Workspace's its Projects' (insert_project_usage_daily.sql, insert_workspace_usage_daily.sql):
-- exact_sum(COLUMNS(usage_hours())).
CREATE OR REPLACE TEMP MACRO usage_hours() AS
    ['allocated_gpu_hours', 'used_gpu_hours', 'idle_gpu_hours', 'low_use_gpu_hours', 'no_data_gpu_hours'];
-- busy_looking_idle(...): THE definition of a fake-busy ("busy-looking but idle") GPU step, used by the usage
-- tables (stage_held_gpu_steps.sql) and by the fake_busy and wedged_collective rules (rules_create_gpu_steps.sql):
-- activity (GR_ENGINE_ACTIVE, else GPU_UTIL / 100) >= activity_min, tensor and DRAM activity < profiling_max,
-- SM activity <= sm_active_max (a spinning NCCL kernel holds ~1 block per channel: 0.1-0.3 of the SMs), and power
-- below idle_w + power_headroom × (max_w − idle_w). SQL's three-valued logic gives the answer: TRUE (fake-busy),
-- FALSE (a condition fails: real work, or not busy-looking at all), NULL (every known condition holds but a
-- needed figure is missing, e.g. no DCGM_FI_PROF_* on this GPU: insufficient data, never a guess).
CREATE OR REPLACE TEMP MACRO busy_looking_idle(
    activity, sm_active, tensor_active, dram_active, power_w, idle_w, max_w,
    activity_min, profiling_max, sm_active_max, power_headroom
) AS
    activity >= activity_min
    AND tensor_active < profiling_max
    AND dram_active < profiling_max
    AND sm_active <= sm_active_max
    AND power_w < idle_w + power_headroom * (max_w - idle_w);
-- busy_candidate_steps(steps, activity_min, profiling_max, sm_active_max, power_headroom): every row of the table
-- (or CTE) named `steps` (rule_gpu_steps) with busy_candidate: busy_looking_idle does not rule the step out with
-- unknown power limits (IS NOT FALSE with NULL limits), so it is judged later against the window's limits
-- (stage_rule_gpu_day.sql's busy_candidates, stage_wedged_steps_day.sql's candidate steps). The table is named by
-- a string (query_table): a table macro is bound when it is created, before any staged table exists.
CREATE OR REPLACE TEMP MACRO busy_candidate_steps(steps, activity_min, profiling_max, sm_active_max, power_headroom)
AS TABLE
    SELECT
        *,
        busy_looking_idle(
            activity, sm_active, tensor_active, dram_active, power_w, NULL, NULL,
            activity_min, profiling_max, sm_active_max, power_headroom
        ) IS NOT FALSE AS busy_candidate
    FROM query_table(steps);
-- gpu_power_limits_of(observed, model_power, idle_power_percentile): gpu_power_limits' rows from the table (or CTE)
-- named `observed` (per GPU: cluster, gpu_uuid, gpu_model, low_power_w at idle_power_percentile, peak_power_w) and
-- the config table named `model_power` (gpu_model_power): idle and max power from the config table when the GPU's
-- model is there (power_source 'table'), else its own low power and the highest peak of its model ('observed_p05'
-- for the 5th percentile); NULLs without power samples. sql/stage_gpu_power_limits.sql (from gpu_samples) and
-- sql/stage_window_gpu_power.sql (from the per-day histograms) both end here, so their limits are the same rule.
CREATE OR REPLACE TEMP MACRO gpu_power_limits_of(observed, model_power, idle_power_percentile) AS TABLE
    WITH model_peak AS (
        SELECT gpu_model, max(peak_power_w) AS peak_power_w FROM query_table(observed) GROUP BY gpu_model
    )
    SELECT
        o.cluster,
        o.gpu_uuid,
        coalesce(t.idle_w, o.low_power_w) AS idle_power_w,
        coalesce(t.max_w, m.peak_power_w) AS max_power_w,
        CASE
            WHEN t.gpu_model IS NOT NULL THEN 'table'
            WHEN o.low_power_w IS NOT NULL
                THEN printf('observed_p%02d', CAST(round(idle_power_percentile * 100) AS INTEGER))
        END AS power_source
    FROM query_table(observed) AS o
    LEFT JOIN query_table(model_power) AS t ON t.gpu_model = o.gpu_model
    LEFT JOIN model_peak AS m ON m.gpu_model IS NOT DISTINCT FROM o.gpu_model;
-- mig_slices(model, matches, counts): the compute slices of a GPU model: counts[i] of the first lower-cased
-- substring matches[i] of the model (shared_gpus.mig_slices); NULL when none matches.
CREATE OR REPLACE TEMP MACRO mig_slices(model, matches, counts) AS
    counts[list_position(list_transform(matches, lambda m: contains(lower(coalesce(model, '')), m)), true)];
-- mig_profile_slices(profile): g of a MIG profile '<g>g.<mem>gb' (NULL when it does not parse).
CREATE OR REPLACE TEMP MACRO mig_profile_slices(profile) AS
    TRY_CAST(nullif(regexp_extract(coalesce(profile, ''), '^([0-9]+)g\.[0-9]+gb', 1), '') AS INTEGER);
-- mig_resource_profile(resource, prefix): the MIG profile of a mixed-strategy resource name
-- ('nvidia_com_mig_1g_10gb' -> '1g.10gb'); NULL when the name is not '<prefix><g>g_<mem>gb'.
CREATE OR REPLACE TEMP MACRO mig_resource_profile(resource, prefix) AS
    CASE WHEN starts_with(resource, prefix)
         THEN nullif(regexp_replace(substr(resource, length(prefix) + 1), '^([0-9]+g)_([0-9]+gb)$', '\1.\2'),
                     substr(resource, length(prefix) + 1)) END;
-- namespace_labels_rank: which of a namespace's kube_namespace_labels series wins (arg_max by it): the latest, on a
-- tie the larger (Workspace, Project), then the larger label text (insert_namespaces.sql, insert_ticket_labels.sql:
-- the owner comes from the label set the Workspace does).
CREATE OR REPLACE TEMP MACRO namespace_labels_rank(labels, timestamps, workspace_key, project_key) AS
    struct_pack(
        ts := list_max(timestamps),
        workspace := coalesce(labels[workspace_key], ''),
        project := coalesce(labels[project_key], ''),
        text := CAST(labels AS VARCHAR)
    );
-- latest_pod_labels(series, metric): per (cluster, pod uid) the label map of the latest series of kube-state
-- metric `metric` (kube_pod_labels, kube_pod_annotations) in the table named `series` (stage_ksm): the series
-- whose last timestamp is the latest wins, on a tie the larger label text (insert_pods.sql, insert_ticket_labels.sql).
CREATE OR REPLACE TEMP MACRO latest_pod_labels(series, metric) AS TABLE
    SELECT cluster, pod_uid(labels) AS uid, arg_max(labels, (list_max(timestamps), CAST(labels AS VARCHAR))) AS labels
    FROM query_table(series)
    WHERE metric_name = metric
    GROUP BY cluster, uid;
