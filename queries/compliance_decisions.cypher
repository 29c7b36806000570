// Chapters 2-3 (Chongqing art. 4 ¶1): decisions taken in the period by the
// leadership teams of institutions of the given territories, each with its
// social-stability risk assessments. Params: $territories, $from, $to
UNWIND $territories AS tid
MATCH (t:Territory {id: tid})
WITH t
MATCH (t)<-[:IN_TERRITORY]-(i:Institution)<-[:TEAM_OF]-(:LeadershipTeam)<-[:DECIDED_BY]-(d:Decision)
WHERE d.on >= date($from) AND d.on <= date($to)
OPTIONAL MATCH (r:RiskAssessment)-[:ASSESSES_RISK_OF]->(d)
RETURN i.id AS institution, d {.*} AS decision, collect(r {.*}) AS risk_assessments
