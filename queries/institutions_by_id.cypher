// Institutions by key (for a DataLoader). Params: $ids
UNWIND $ids AS id
MATCH (i:Institution {id: id})
RETURN i {.*} AS institution
