// Chapters 2-3 (Chongqing art. 8 (二)): matters a leader instructed (批办) in the
// period that an institution of the given territories handled on or after the
// instruction, each with the first instruction's date, the leaders who gave
// it, and that institution's staff's reports on the handling made after it.
// Params: $territories, $from, $to
UNWIND $territories AS tid
MATCH (t:Territory {id: tid})<-[:IN_TERRITORY]-(i:Institution)<-[:BY_INSTITUTION]-(s:HandlingStep)-[:STEP_OF]->(m:PetitionMatter)<-[:ACTIVITY_ON]-(a:LeaderActivity)
WHERE s.kind = 'HANDLE' AND a.kind = 'READ_AND_INSTRUCT' AND a.on >= date($from) AND a.on <= date($to)
  AND s.on >= a.on
MATCH (a)-[:BY_LEADER]->(l:Person)
WITH i, m, min(a.on) AS instructed, collect(DISTINCT l.id) AS leaders
OPTIONAL MATCH (r:StaffReport)-[:REPORT_ON]->(m)
WHERE r.institution = i.id AND r.kind = 'HANDLING_REPORT' AND r.on >= instructed
RETURN i.id AS institution, m.id AS matter, m.title AS title, instructed, leaders, collect(r {.*}) AS reports
