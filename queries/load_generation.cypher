// The loads that finished: how many, and the key of the latest. A cache of
// what the loads wrote (zeren.rules.organisation) notices a new load by it.
// Params: none
MATCH (r:LoadRecord)
WHERE r.finished_at IS NOT NULL
WITH r ORDER BY r.finished_at DESC, r.id DESC
RETURN count(r) AS loads, head(collect(r.id)) AS latest
