-- The ВПР task cells (raw.vpr_task_points: columns `1`, `2`, `4.1` … of participant files) of
-- the files being checked ($files), typed for the suite expectations/raw_vpr_task_points.json:
-- the points as a number, the text where it is not one. `x`/`х` (the task does not apply), «-»
-- and empty cells give no points and are no error. One row per participant row × task.
WITH checked_files AS (
    SELECT unnest($files::VARCHAR[]) AS source_file
)
SELECT
    t._source_file,
    t._sheet,
    t._row,
    t.task,
    parse_number(t.points) AS points,
    CASE WHEN clean_text(t.points) IS NOT NULL AND parse_number(t.points) IS NULL
          AND lower(clean_text(t.points)) NOT IN ('x', 'х', '-')
         THEN t.points END AS points_text
FROM raw.vpr_task_points AS t
WHERE t._source_file IN (SELECT source_file FROM checked_files)
