// Chapters 2-3 (Chongqing art. 8 (四)): reports of important matters and
// prominent problems made to leaders in the period by staff of institutions
// of the given territories. Params: $territories, $from, $to
UNWIND $territories AS tid
MATCH (t:Territory {id: tid})<-[:IN_TERRITORY]-(i:Institution)<-[:REPORT_OF]-(r:StaffReport)
WHERE r.kind = 'LEADER_REPORT' AND r.on >= date($from) AND r.on <= date($to)
RETURN i.id AS institution, r {.*} AS report
