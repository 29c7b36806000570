// Chapters 2-3 (Chongqing art. 8 (三)): collective matters received in the
// period by institutions of the given territories, each with the incident
// reports of that institution's staff on it. Params: $territories, $from, $to
UNWIND $territories AS tid
MATCH (t:Territory {id: tid})
WITH t
MATCH (t)<-[:IN_TERRITORY]-(i:Institution)<-[:BY_INSTITUTION]-(s:HandlingStep)-[:STEP_OF]->(m:PetitionMatter)
WHERE s.kind = 'RECEIVE' AND m.form = 'COLLECTIVE' AND s.on >= date($from) AND s.on <= date($to)
OPTIONAL MATCH (r:StaffReport)-[:REPORT_ON]->(m)
WHERE r.institution = i.id AND r.kind = 'INCIDENT_REPORT'
RETURN i.id AS institution, m {.id, .title, .received_on} AS matter, s.on AS received, collect(r {.*}) AS reports
