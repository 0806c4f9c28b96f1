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

CREATE OR REPLACE VIEW category_usage_daily AS
SELECT
    day, category, purpose,
    count(DISTINCT uid) AS pods,
    sum(allocated_gpu_hours) AS allocated_gpu_hours,
    sum(used_gpu_hours) AS used_gpu_hours,
    sum(idle_gpu_hours) AS idle_gpu_hours,
    sum(used_gpu_hours) / nullif(sum(allocated_gpu_hours), 0) AS efficiency
FROM pod_usage_daily
GROUP BY day, category, purpose;

CREATE OR REPLACE VIEW provisioning_type_usage_daily AS
SELECT
    day, provisioning_type,
    count(DISTINCT uid) AS pods,
    sum(allocated_gpu_hours) AS allocated_gpu_hours,
    sum(used_gpu_hours) AS used_gpu_hours,
    sum(idle_gpu_hours) AS idle_gpu_hours,
    sum(used_gpu_hours) / nullif(sum(allocated_gpu_hours), 0) AS efficiency
FROM pod_usage_daily
GROUP BY day, provisioning_type;
