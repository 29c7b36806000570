// Matters a cadre held (包案, Chongqing art. 7 (二)), in the post recorded. Params: $person
MATCH (:Person {id: $person})-[c:HOLDS_CASE]->(m:PetitionMatter)
RETURN c {.*} AS holding, m.id AS matter, m.title AS title
ORDER BY c.valid_from
