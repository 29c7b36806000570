// Territories by key (for a DataLoader). Params: $ids
UNWIND $ids AS id
MATCH (t:Territory {id: id})
RETURN t {.*} AS territory
