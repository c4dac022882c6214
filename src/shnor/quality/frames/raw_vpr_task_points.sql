-- The ВПР task cells (raw.vpr_task_points: columns `1`, `2`, `4.1` … of participant files) of
-- the files being checked ($files), typed for the suite expectations/raw_vpr_task_points.json:
-- the points as a number, the text where it is not one. `x`/`х` (the task does not apply), «-»
-- and empty cells give no points and are no error. One row per participant row × task.
WITH checked_files AS (
    SELECT unnest($files::VARCHAR[]) AS source_file
)
-- The suite's checks are row by row (points ≥ 0, points_text empty), so only the cells that can
-- fail one are handed to it: a region's year has millions of task cells, almost all fine, and
-- carrying them all into pandas cost gigabytes. A check added to the suite that is not about
-- these two values needs this filter widened.
SELECT *
FROM (
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
)
WHERE points < 0 OR points_text IS NOT NULL
