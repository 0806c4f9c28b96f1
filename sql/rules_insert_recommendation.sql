-- One row per finding of an evaluation (exempt and insufficient-data records included; see ticket JSON).
INSERT INTO recommendations (
    evaluated_on, finding_id, rule, severity, workspace, project, namespace, workload, exempt, gpu_model,
    gpus_allocated, gpus_reclaimable, idle_gpu_hours, gpu_hours_recoverable_per_week, window_start, window_end,
    ticket, cluster
)
VALUES (
    $evaluated_on, $finding_id, $rule, $severity, $workspace, $project, $namespace, $workload, $exempt,
    $gpu_model, $gpus_allocated, $gpus_reclaimable, $idle_gpu_hours, $gpu_hours_recoverable_per_week,
    $window_start, $window_end, $ticket, $cluster
);
