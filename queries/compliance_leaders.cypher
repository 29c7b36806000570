// Chapters 2-3 (national art. 4 ¶3, Chongqing art. 7): the leadership-team posts
// of institutions of the given territories held at some time in the period,
// with their holders: only the fields the duties show, as columns (a province
// has tens of thousands of tenures; every value sent costs).
// Params: $territories, $from, $to
UNWIND $territories AS tid
MATCH (t:Territory {id: tid})
WITH t
MATCH (t)<-[:IN_TERRITORY]-(i:Institution)<-[:POST_AT]-(p:Post)<-[h:HOLDS]-(per:Person)
WHERE p.role <> 'STAFF' AND h.valid_from <= date($to) AND (h.valid_to IS NULL OR h.valid_to >= date($from))
RETURN i.id AS institution, p.id AS post, p.title AS title, per.id AS person, per.name AS name,
       h.valid_from AS valid_from, h.valid_to AS valid_to
