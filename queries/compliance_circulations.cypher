// Chapters 2-3 (Chongqing art. 18): accountability measures decided in the
// period by institutions of the given territories, each with its circulations
// to the organisation and personnel departments. Params: $territories, $from, $to
UNWIND $territories AS tid
MATCH (t:Territory {id: tid})
WITH t
MATCH (t)<-[:IN_TERRITORY]-(i:Institution)<-[:DECIDED_BY_ORGAN]-(a:AccountabilityMeasure)
WHERE a.decided_on >= date($from) AND a.decided_on <= date($to)
OPTIONAL MATCH (c:Circulation)-[:CIRCULATES]->(a)
RETURN i.id AS institution, a {.*} AS measure, collect(c {.*}) AS circulations
