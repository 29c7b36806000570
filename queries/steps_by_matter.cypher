// Handling steps of several matters (for a DataLoader; a step's references are
// its relationships: the step's map names their ids). Params: $ids
UNWIND $ids AS id
MATCH (s:HandlingStep)-[:STEP_OF]->(:PetitionMatter {id: id})
MATCH (s)-[:BY_INSTITUTION]->(i:Institution)
OPTIONAL MATCH (s)-[:BY_STAFF]->(st:Person)
OPTIONAL MATCH (s)-[:TO_INSTITUTION]->(ti:Institution)
RETURN id AS matter, s {.*, matter: id, institution: i.id, staff: st.id, to_institution: ti.id} AS step
ORDER BY s.on, s.id
