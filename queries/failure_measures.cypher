// Measures recorded for the given failures. Params: $failures
UNWIND $failures AS fid
MATCH (a:AccountabilityMeasure)-[:FOR_FAILURE]->(:Failure {id: fid})
RETURN fid AS failure, a {.*} AS measure
ORDER BY a.decided_on, a.id
