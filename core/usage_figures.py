"""The usage figures, in GPU-hours, that the usage tables hold per pod, Project and Workspace and the demo's truth
states: the order in which the demo's truth computes and lists them."""

USAGE_FIGURES = (
    "allocated_gpu_hours",
    "used_gpu_hours",
    "idle_gpu_hours",
    "low_use_gpu_hours",
    "no_data_gpu_hours",
    "busy_looking_idle_gpu_hours",
)
