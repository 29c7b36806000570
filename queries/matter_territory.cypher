// A matter and the territory it arises in; its chain of territories is that
// territory's ``territory_chain`` (``matter`` gives both at once). Params: $matter
MATCH (m:PetitionMatter {id: $matter})-[:ARISES_IN]->(t:Territory)
RETURN m {.*} AS matter, t.id AS territory
