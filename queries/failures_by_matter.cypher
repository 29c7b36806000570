// Failures recorded for several matters (for a DataLoader). Params: $ids
UNWIND $ids AS id
MATCH (f:Failure)-[:IN_MATTER]->(:PetitionMatter {id: id})
RETURN id AS matter, f {.*} AS failure
ORDER BY f.act_date, f.id
