// Petition departments of the given territories. Params: $territories
UNWIND $territories AS tid
MATCH (i:Institution {kind: 'PETITION_DEPARTMENT'})-[:IN_TERRITORY]->(:Territory {id: tid})
RETURN tid AS territory, i {.*} AS institution
