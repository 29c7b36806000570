// Chapters 2-3 (art. 10): assessments by organs of the given territories whose
// period overlaps the given one. Params: $territories, $from, $to
UNWIND $territories AS tid
MATCH (t:Territory {id: tid})
WITH t
MATCH (t)<-[:IN_TERRITORY]-(o:Institution)<-[:ASSESSED_BY]-(a:Assessment)
WHERE a.period_from <= date($to) AND a.period_to >= date($from)
RETURN o.id AS institution, a {.*} AS assessment
ORDER BY a.on, a.id
