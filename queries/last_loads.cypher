// The two loads started last, newest first: whether a reload of the same files
// can be skipped (zeren.loaders.load.unchanged_since). Params: none
MATCH (l:LoadRecord)
RETURN l.id AS id, l.source AS source, l.started_at AS started_at, l.finished_at AS finished_at, l.files AS files
ORDER BY l.started_at DESC
LIMIT 2
