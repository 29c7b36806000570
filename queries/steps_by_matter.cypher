// Handling steps of several matters (for a DataLoader). Params: $ids
UNWIND $ids AS id
MATCH (s:HandlingStep)-[:STEP_OF]->(:PetitionMatter {id: id})
RETURN id AS matter, s {.*} AS step
ORDER BY s.on, s.id
