// Leaders holding a matter (包案), with the validity of the assignment and the
// post recorded for it with its institution. Params: $matter
MATCH (per:Person)-[c:HOLDS_CASE]->(:PetitionMatter {id: $matter})
OPTIONAL MATCH (p:Post {id: c.post})
WITH per, c, p
OPTIONAL MATCH (p)-[:POST_AT]->(i:Institution)
RETURN per {.*} AS person, c {.*} AS holding, p {.*} AS post, i {.*} AS institution
