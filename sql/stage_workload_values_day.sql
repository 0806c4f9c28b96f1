-- The day's (or a window's part of a day) class attributes of each workload from rule_pod_steps: the steps of
-- each value (NULLs left out, as mode() leaves them out); rules_workloads.sql takes the value with the most steps.
-- The key (one list, here and in the merge): cluster, namespace, workload.
CREATE OR REPLACE TEMP TABLE staged_workload_values_day AS
SELECT CAST($range_start AS DATE) AS day, cluster, namespace, workload, attribute, value, count(*) AS steps
FROM (
    UNPIVOT (
        SELECT
            cluster, namespace, workload, owner_kind, owner_name, category, purpose, provisioning_type, machine_group,
            node_gpu_model AS gpu_model
        FROM rule_pod_steps
    )
    ON owner_kind, owner_name, category, purpose, provisioning_type, machine_group, gpu_model
    INTO NAME attribute VALUE value
)
GROUP BY cluster, namespace, workload, attribute, value;
