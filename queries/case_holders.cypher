// Leaders holding a matter (包案), with the validity of the assignment. Params: $matter
MATCH (per:Person)-[c:HOLDS_CASE]->(:PetitionMatter {id: $matter})
OPTIONAL MATCH (p:Post {id: c.post})
RETURN per {.*} AS person, c {.*} AS holding, p {.*} AS post
