// People named in a failure record, and the participants of its decision with
// their stances, each with the post recorded for them. Params: $failure, $decision (may be null)
MATCH (per:Person)-[iv:INVOLVED_IN]->(:Failure {id: $failure})
OPTIONAL MATCH (po:Post {id: iv.post})
RETURN 'INVOLVED' AS source, per {.*} AS person, iv {.*} AS link, po {.*} AS post
UNION ALL
MATCH (per:Person)-[pp:PARTICIPATED_IN]->(:Decision {id: $decision})
OPTIONAL MATCH (po:Post {id: pp.post})
RETURN 'PARTICIPATED' AS source, per {.*} AS person, pp {.*} AS link, po {.*} AS post
