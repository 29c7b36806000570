// Measures decided in a year that disqualify from comprehensive honours (art.
// 14): admonishments and explicit disqualifications, with the failure's unit,
// its parent department and territory. Params: $from, $to (ISO dates), $kinds
MATCH (a:AccountabilityMeasure)-[:FOR_FAILURE]->(f:Failure)-[:FAILURE_OF]->(u:Institution)-[:IN_TERRITORY]->(t:Territory)
WHERE a.kind IN $kinds AND a.decided_on >= date($from) AND a.decided_on <= date($to)
OPTIONAL MATCH (u)-[:UNDER]->(parent:Institution)
RETURN a {.*} AS measure, f {.*} AS failure, u {.*} AS unit, t {.*} AS territory, parent {.*} AS parent
ORDER BY a.decided_on, a.id
