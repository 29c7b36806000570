// Every institution of the given territories, of any kind (the caller keeps
// the kinds it needs). Params: $territories
// The WITH makes FalkorDB start from the territory's id index.
UNWIND $territories AS tid
MATCH (t:Territory {id: tid})
WITH tid, t
MATCH (i:Institution)-[:IN_TERRITORY]->(t)
RETURN tid AS territory, i {.*} AS institution
