-- ВПР points per task (columns `1`, `2`, `4.1` … of the participant files), typed. Grain: one
-- row per participant row × task with a value; `x`/`х` = the task does not apply (no points).
SELECT
    _source_file,
    _sheet,
    _row,
    task,
    parse_number(points) AS points,
    lower(trim(points)) IN ('x', 'х') AS is_not_applicable
FROM raw.vpr_task_points
