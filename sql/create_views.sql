-- Rollups of pod_usage_daily as views (computed when queried), one row per day and group:
-- per workload (owner kind/name within a namespace), Machine Group, category and provisioning type.
CREATE OR REPLACE VIEW workload_usage_daily AS
SELECT
    day, workspace, project, namespace, workload, owner_kind, owner_name,
    any_value(category) AS category, any_value(purpose) AS purpose, any_value(provisioning_type) AS provisioning_type,
    bool_or(reclaim_exempt) AS reclaim_exempt,
    count(DISTINCT uid) AS pods,
    sum(allocated_gpu_hours) AS allocated_gpu_hours,
    sum(used_gpu_hours) AS used_gpu_hours,
    sum(idle_gpu_hours) AS idle_gpu_hours,
    sum(low_use_gpu_hours) AS low_use_gpu_hours,
    sum(no_data_gpu_hours) AS no_data_gpu_hours,
    sum(used_gpu_hours) / nullif(sum(allocated_gpu_hours), 0) AS efficiency,
    sum(allocated_gpu_hours * h100_equivalent) AS allocated_h100_equivalent_hours
FROM pod_usage_daily
GROUP BY day, workspace, project, namespace, workload, owner_kind, owner_name;

CREATE OR REPLACE VIEW machine_group_usage_daily AS
SELECT
    day, machine_group, any_value(gpu_model) AS gpu_model,
    count(DISTINCT uid) AS pods,
    sum(allocated_gpu_hours) AS allocated_gpu_hours,
    sum(used_gpu_hours) AS used_gpu_hours,
    sum(idle_gpu_hours) AS idle_gpu_hours,
    sum(no_data_gpu_hours) AS no_data_gpu_hours,
    sum(used_gpu_hours) / nullif(sum(allocated_gpu_hours), 0) AS efficiency
FROM pod_usage_daily
GROUP BY day, machine_group;

-- category_usage_daily and provisioning_type_usage_daily: one rollup (class_usage_daily, by GROUPING SETS) read
-- by set: by_category rows are per (day, category, purpose), the others per (day, provisioning_type).
CREATE OR REPLACE VIEW class_usage_daily AS
SELECT
    day, category, purpose, provisioning_type,
    grouping(provisioning_type) = 1 AS by_category,
    count(DISTINCT uid) AS pods,
    sum(allocated_gpu_hours) AS allocated_gpu_hours,
    sum(used_gpu_hours) AS used_gpu_hours,
    sum(idle_gpu_hours) AS idle_gpu_hours,
    sum(used_gpu_hours) / nullif(sum(allocated_gpu_hours), 0) AS efficiency
FROM pod_usage_daily
GROUP BY GROUPING SETS ((day, category, purpose), (day, provisioning_type));

CREATE OR REPLACE VIEW category_usage_daily AS
SELECT * EXCLUDE (provisioning_type, by_category) FROM class_usage_daily WHERE by_category;

CREATE OR REPLACE VIEW provisioning_type_usage_daily AS
SELECT * EXCLUDE (category, purpose, by_category) FROM class_usage_daily WHERE NOT by_category;

-- Every stored finding as the report pages read it (sql/report_*.sql select from here): the ticket's action,
-- summary, evidence and issue 14's fields, NULL in tickets written before them, and its give-back figures, one
-- column each whatever the rule (README "The reports", glossary "Give-back value"):
--   give_back_gpus: GPUs the ticket gives back: reclaimable GPUs of a reclaim-now ticket, the quota GPUs a quota
--     cut releases, the GPUs a defrag frees (its reclaimable GPUs in a ticket written before gpus_freed); 0 for a
--     waste report (nothing is held any more).
--   give_back_h100_hours_per_week: the same in H100-equivalent GPU-hours per week: a reclaim-now ticket's
--     recoverable H100-equivalent hours; a quota cut's headroom GPU-hours per week of the ticket's window,
--     weighted by the GPUs its Project held in that window (1.0 when it held none); a defrag's freed GPUs for
--     the 168 hours of a week, weighted by their GPU model; 0 for a waste report.
--   give_back_cost_per_week: the same in money, NULL when the GPU model (or Project) has no price.
CREATE OR REPLACE VIEW report_ticket_findings AS
WITH findings AS (
    SELECT
        r.*,
        coalesce(json_extract_string(r.ticket, '$.kind'), 'reclaim') AS finding_kind,
        TRY_CAST(json_extract_string(r.ticket, '$.window_start') AS TIMESTAMP) AS ticket_window_start,
        TRY_CAST(json_extract_string(r.ticket, '$.window_end') AS TIMESTAMP) AS ticket_window_end,
        TRY_CAST(json_extract_string(r.ticket, '$.quota_headroom_gpu_hours') AS DOUBLE) AS quota_headroom,
        TRY_CAST(json_extract_string(r.ticket, '$.gpus_freed') AS DOUBLE) AS freed_gpus
    FROM recommendations AS r
),
project_weights AS (
    SELECT
        f.finding_id, f.evaluated_on,
        sum(u.allocated_gpu_hours * u.h100_equivalent) / nullif(sum(u.allocated_gpu_hours), 0) AS h100_equivalent,
        sum(u.allocated_gpu_hours * u.price_per_gpu_hour)
            / nullif(sum(u.allocated_gpu_hours) FILTER (WHERE u.price_per_gpu_hour IS NOT NULL), 0) AS price
    FROM findings AS f
    JOIN pod_usage_daily AS u
        ON u.cluster = f.cluster
        AND u.namespace = f.namespace
        AND u.day >= CAST(f.ticket_window_start AS DATE) AND u.day < CAST(f.ticket_window_end AS DATE)
    WHERE f.rule = 'quota_reclaim'
    GROUP BY f.finding_id, f.evaluated_on
),
valued AS (
    SELECT
        f.*,
        CASE
            WHEN f.finding_kind = 'waste_report' THEN 0.0
            WHEN f.rule = 'defragment' THEN coalesce(f.freed_gpus, f.gpus_reclaimable, 0.0)
            ELSE coalesce(f.gpus_reclaimable, 0.0)
        END AS give_back_gpus,
        CASE
            WHEN f.finding_kind = 'waste_report' THEN 0.0
            WHEN f.rule = 'quota_reclaim' THEN coalesce(f.quota_headroom, 0.0) * 168.0
                / nullif(date_diff('second', f.ticket_window_start, f.ticket_window_end) / 3600.0, 0)
            WHEN f.rule = 'defragment' THEN coalesce(f.freed_gpus, f.gpus_reclaimable, 0.0) * 168.0
            ELSE coalesce(f.gpu_hours_recoverable_per_week, 0.0)
        END AS give_back_gpu_hours_per_week,
        CASE
            WHEN f.rule = 'quota_reclaim' THEN coalesce(p.h100_equivalent, 1.0)
            ELSE coalesce(w.h100_equivalent, 1.0)
        END AS give_back_weight,
        CASE WHEN f.rule = 'quota_reclaim' THEN p.price ELSE w.price_per_gpu_hour END AS give_back_price
    FROM findings AS f
    LEFT JOIN project_weights AS p ON p.finding_id = f.finding_id AND p.evaluated_on = f.evaluated_on
    LEFT JOIN gpu_model_weights AS w ON w.gpu_model = f.gpu_model
)
SELECT
    v.finding_id,
    v.evaluated_on,
    v.rule,
    v.severity,
    v.workspace,
    v.project,
    v.namespace,
    v.cluster,
    v.workload,
    v.exempt,
    v.workspace = 'cluster' AND v.namespace = '' AS cluster_level,
    coalesce(TRY_CAST(json_extract_string(v.ticket, '$.insufficient_data') AS BOOLEAN), false) AS insufficient_data,
    v.gpu_model,
    v.gpus_allocated,
    v.gpus_reclaimable,
    v.idle_gpu_hours,
    v.gpu_hours_recoverable_per_week,
    json_extract_string(v.ticket, '$.action') AS action,
    json_extract_string(v.ticket, '$.summary') AS summary,
    CAST(json_extract(v.ticket, '$.evidence') AS VARCHAR) AS evidence_json,
    TRY_CAST(json_extract_string(v.ticket, '$.evidence.h100_equivalent_hours_recoverable_per_week') AS DOUBLE)
        AS h100_equivalent_hours_recoverable_per_week,
    TRY_CAST(json_extract_string(v.ticket, '$.evidence.cost_recoverable_per_week') AS DOUBLE)
        AS cost_recoverable_per_week,
    json_extract_string(v.ticket, '$.kind') AS kind,
    v.finding_kind,
    json_extract_string(v.ticket, '$.owner') AS owner,
    json_extract_string(v.ticket, '$.owner_channel') AS owner_channel,
    TRY_CAST(json_extract_string(v.ticket, '$.acknowledged_until') AS DATE) AS acknowledged_until,
    TRY_CAST(json_extract_string(v.ticket, '$.acknowledged') AS BOOLEAN) AS acknowledged,
    json_extract_string(v.ticket, '$.change') AS change,
    v.quota_headroom AS quota_headroom_gpu_hours,
    v.freed_gpus AS gpus_freed,
    TRY_CAST(json_extract_string(v.ticket, '$.whole_nodes_freed') AS BIGINT) AS whole_nodes_freed,
    TRY_CAST(json_extract_string(v.ticket, '$.wasted_gpu_hours') AS DOUBLE) AS wasted_gpu_hours,
    v.give_back_gpus,
    CASE
        WHEN v.rule IN ('quota_reclaim', 'defragment') THEN v.give_back_gpu_hours_per_week * v.give_back_weight
        ELSE coalesce(
            TRY_CAST(json_extract_string(v.ticket, '$.evidence.h100_equivalent_hours_recoverable_per_week') AS DOUBLE),
            v.give_back_gpu_hours_per_week * v.give_back_weight
        )
    END AS give_back_h100_hours_per_week,
    CASE
        WHEN v.finding_kind = 'waste_report' THEN NULL
        WHEN v.rule IN ('quota_reclaim', 'defragment') THEN v.give_back_gpu_hours_per_week * v.give_back_price
        ELSE TRY_CAST(json_extract_string(v.ticket, '$.evidence.cost_recoverable_per_week') AS DOUBLE)
    END AS give_back_cost_per_week
FROM valued AS v;
