// Chapters 2-3 (national art. 9, Chongqing art. 9): supervisions started in the
// period by organs of the given territories. Params: $territories, $from, $to
UNWIND $territories AS tid
MATCH (t:Territory {id: tid})
WITH t
MATCH (t)<-[:IN_TERRITORY]-(o:Institution)<-[:SUPERVISION_BY]-(s:Supervision)
WHERE s.started_on >= date($from) AND s.started_on <= date($to)
RETURN o.id AS institution, s {.*} AS supervision
ORDER BY s.started_on, s.id
