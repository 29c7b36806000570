// Handling steps of a matter, with the acting unit and staff member (a step's
// references are its relationships: the step's map names their ids). Params: $matter
MATCH (s:HandlingStep)-[:STEP_OF]->(:PetitionMatter {id: $matter})
MATCH (s)-[:BY_INSTITUTION]->(i:Institution)
OPTIONAL MATCH (s)-[:BY_STAFF]->(st:Person)
OPTIONAL MATCH (s)-[:TO_INSTITUTION]->(ti:Institution)
RETURN s {.*, matter: $matter, institution: i.id, staff: st.id, to_institution: ti.id} AS step, i {.*} AS institution,
       st {.*} AS staff
ORDER BY s.on, s.id
