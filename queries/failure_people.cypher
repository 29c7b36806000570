// People named in a failure record, and the participants of its decision with
// their stances. Params: $failure, $decision (may be null)
MATCH (per:Person)-[iv:INVOLVED_IN]->(:Failure {id: $failure})
RETURN 'INVOLVED' AS source, per {.*} AS person, iv {.*} AS link
UNION ALL
MATCH (per:Person)-[pp:PARTICIPATED_IN]->(:Decision {id: $decision})
RETURN 'PARTICIPATED' AS source, per {.*} AS person, pp {.*} AS link
