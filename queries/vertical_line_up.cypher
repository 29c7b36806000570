// The vertical management line above each given institution: every path up
// its system with the relationships' validity, so the caller can keep the
// links valid at the as-of date. Params: $institutions
UNWIND $institutions AS iid
MATCH vp = (:Institution {id: iid})-[:VERTICAL_LINE*1..6]->(u:Institution)
RETURN iid AS institution, [n IN nodes(vp) | n {.*}] AS nodes, [r IN relationships(vp) | r {.*}] AS links
