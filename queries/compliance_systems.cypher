// Chapters 2-3: departments of the given territories at the top of a vertical
// line valid in the period (the head of a system, 本系统), with how many
// departments below them. Params: $territories, $from, $to (ISO dates)
UNWIND $territories AS tid
MATCH (t:Territory {id: tid})
WITH t
MATCH (t)<-[:IN_TERRITORY]-(u:Institution)<-[v:VERTICAL_LINE]-(l:Institution)
WHERE v.valid_from <= date($to) AND (v.valid_to IS NULL OR v.valid_to >= date($from))
RETURN u.id AS institution, count(l) AS lower
