// Persons by key (for a DataLoader). Params: $ids
UNWIND $ids AS id
MATCH (p:Person {id: id})
RETURN p {.*} AS person
