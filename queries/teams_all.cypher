// The leadership-team posts of the given institutions, each with every tenure
// and every division of duties it ever had (the caller keeps those valid on a
// date: teams_as_of does it in the store). Params: $institutions
// The WITH makes FalkorDB start from the institution's id index (teams_as_of).
UNWIND $institutions AS iid
MATCH (i:Institution {id: iid})
WITH iid, i
MATCH (i)<-[:POST_AT]-(p:Post)
WHERE p.role <> 'STAFF'
OPTIONAL MATCH (per:Person)-[h:HOLDS]->(p)
WITH iid, p, collect(CASE WHEN h IS NULL THEN NULL ELSE {person: per {.*}, tenure: h {.*}} END) AS held
OPTIONAL MATCH (d:Division)-[:DIVISION_OF]->(p)
RETURN iid AS institution, p {.*} AS post, held, collect(d {.*}) AS divisions
