// Chapters 2-3 (Chongqing art. 7 (二)): matters held (包案) in the period by
// holders of leadership-team posts of institutions of the given territories,
// in those posts. Params: $territories, $from, $to
UNWIND $territories AS tid
MATCH (t:Territory {id: tid})
WITH t
MATCH (t)<-[:IN_TERRITORY]-(i:Institution)<-[:POST_AT]-(p:Post)<-[:HOLDS]-(per:Person)-[c:HOLDS_CASE]->(m:PetitionMatter)
WHERE p.role <> 'STAFF' AND c.post = p.id AND c.valid_from <= date($to)
  AND (c.valid_to IS NULL OR c.valid_to >= date($from))
RETURN DISTINCT i.id AS institution, per.id AS person, c {.*} AS holding, m.id AS matter, m.title AS title
