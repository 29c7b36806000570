// A failure with its unit, the unit's parent organ and territory, and the
// matter and team decision it concerns, if any, and the decision's
// social-stability risk assessments (Chongqing art. 4 ¶1). Params: $failure
MATCH (f:Failure {id: $failure})-[:FAILURE_OF]->(u:Institution)-[:IN_TERRITORY]->(t:Territory)
OPTIONAL MATCH (f)-[:IN_MATTER]->(m:PetitionMatter)
WITH f, u, t, m
OPTIONAL MATCH (f)-[:BY_DECISION]->(d:Decision)
WITH f, u, t, m, d
OPTIONAL MATCH (r:RiskAssessment)-[:ASSESSES_RISK_OF]->(d)
WITH f, u, t, m, d, collect(r {.*}) AS risk
OPTIONAL MATCH (u)-[:UNDER]->(parent:Institution)
RETURN f {.*} AS failure, u {.*} AS unit, t {.*} AS territory, m {.*} AS matter, d {.*} AS decision,
       parent {.*} AS parent, risk AS risk_assessments
