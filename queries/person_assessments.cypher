// Assessments (art. 10 ¶1) of the units a cadre led: of the institution of each
// leadership post held, and of the region for a post in its party committee or
// government; with the tenure, to keep those of its period. Params: $person
MATCH (:Person {id: $person})-[h:HOLDS]->(p:Post)-[:POST_AT]->(i:Institution)-[:IN_TERRITORY]->(t:Territory)
WHERE p.role <> 'STAFF'
OPTIONAL MATCH (i)<-[:ASSESSES_INSTITUTION]-(a:Assessment)
WITH h, p, i, t, collect(a {.*}) AS own
OPTIONAL MATCH (t)<-[:ASSESSES_REGION]-(r:Assessment)
WHERE i.kind IN ['PARTY_COMMITTEE', 'GOVERNMENT']
RETURN p.id AS post, i.id AS institution, h {.*} AS tenure, own, collect(r {.*}) AS region
