// Handling steps of a matter, with the acting unit and staff member. Params: $matter
MATCH (s:HandlingStep)-[:STEP_OF]->(:PetitionMatter {id: $matter})
MATCH (s)-[:BY_INSTITUTION]->(i:Institution)
OPTIONAL MATCH (s)-[:BY_STAFF]->(st:Person)
RETURN s {.*} AS step, i {.*} AS institution, st {.*} AS staff
ORDER BY s.on, s.id
