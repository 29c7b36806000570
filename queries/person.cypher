// A person and every tenure, with the post, its institution and territory. Params: $person
MATCH (per:Person {id: $person})
OPTIONAL MATCH (per)-[h:HOLDS]->(p:Post)-[:POST_AT]->(i:Institution)
RETURN per {.*} AS person, h {.*} AS tenure, p {.*} AS post, i {.*} AS institution
ORDER BY h.valid_from
