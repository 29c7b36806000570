// The matter and the chain of territories it arises in, from its own territory
// (depth 0) up to the nation. Params: $matter
MATCH (m:PetitionMatter {id: $matter})
MATCH p = (m)-[:ARISES_IN]->(:Territory)-[:PART_OF*0..8]->(t:Territory)
RETURN m {.*} AS matter, t {.*} AS territory, length(p) - 1 AS depth
ORDER BY depth
