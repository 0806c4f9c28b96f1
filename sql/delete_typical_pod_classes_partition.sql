-- Remove one day partition of typical_pod_classes before it is loaded again (same transaction as the insert).
DELETE FROM typical_pod_classes WHERE day = $day;
