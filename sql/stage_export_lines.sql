-- The raw export lines of one stage (DCGM or kube-state), one row per series line; stage_append_export.sql fills
-- it part by part while the next part is still being exported, then stage_dcgm_export.sql / stage_ksm_export.sql
-- read it once.
CREATE OR REPLACE TEMP TABLE stage_export_lines (
    metric MAP(VARCHAR, VARCHAR),
    "values" DOUBLE[],
    timestamps BIGINT[]
);
