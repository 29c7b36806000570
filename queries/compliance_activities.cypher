// Chapters 2-3 (national art. 4 ¶3, Chongqing art. 7 (一)): leaders' letters read
// and petitioners received or visited in the period, in leadership-team posts
// of institutions of the given territories: the leader, the post, the kind,
// the date and the count of each, as columns (a province has tens of
// thousands; coordinations are compliance_coordinations).
// Params: $territories, $from, $to
UNWIND $territories AS tid
MATCH (t:Territory {id: tid})
WITH t
MATCH (t)<-[:IN_TERRITORY]-(:Institution)<-[:POST_AT]-(p:Post)<-[:AS_POST]-(a:LeaderActivity)
WHERE p.role <> 'STAFF' AND a.kind <> 'COORDINATION' AND a.on >= date($from) AND a.on <= date($to)
MATCH (a)-[:BY_LEADER]->(l:Person)
RETURN l.id AS person, p.id AS post, a.kind AS kind, a.on AS on, a.count AS count
