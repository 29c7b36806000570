// A failure with its unit and the unit's territory, and the matter and team
// decision it concerns, if any. Params: $failure
MATCH (f:Failure {id: $failure})-[:FAILURE_OF]->(u:Institution)-[:IN_TERRITORY]->(t:Territory)
OPTIONAL MATCH (f)-[:IN_MATTER]->(m:PetitionMatter)
WITH f, u, t, m
OPTIONAL MATCH (f)-[:BY_DECISION]->(d:Decision)
RETURN f {.*} AS failure, u {.*} AS unit, t {.*} AS territory, m {.*} AS matter, d {.*} AS decision
