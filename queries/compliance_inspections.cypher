// Chapters 2-3 (art. 10 ¶2): cadre inspections started in the period by
// institutions of the given territories, each with the petition departments'
// opinions heard. Params: $territories, $from, $to
UNWIND $territories AS tid
MATCH (t:Territory {id: tid})
WITH t
MATCH (t)<-[:IN_TERRITORY]-(i:Institution)<-[:INSPECTION_BY]-(ci:CadreInspection)
WHERE ci.started_on >= date($from) AND ci.started_on <= date($to)
OPTIONAL MATCH (c:Consultation)-[:FOR_INSPECTION]->(ci)
RETURN i.id AS institution, ci {.*} AS inspection, collect(c {.*}) AS consultations
