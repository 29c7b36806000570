// Chapters 2-3 (national art. 4 ¶3, Chongqing art. 7 (二)): difficult matters
// coordinated by leaders in the period, in posts of institutions of the given
// territories. Params: $territories, $from, $to
UNWIND $territories AS tid
MATCH (t:Territory {id: tid})
WITH t
MATCH (t)<-[:IN_TERRITORY]-(i:Institution)<-[:POST_AT]-(p:Post)<-[:AS_POST]-(a:LeaderActivity)
WHERE a.kind = 'COORDINATION' AND a.on >= date($from) AND a.on <= date($to)
MATCH (a)-[:BY_LEADER]->(l:Person)
OPTIONAL MATCH (a)-[:ACTIVITY_ON]->(m:PetitionMatter)
RETURN i.id AS institution, a {.id, person: l.id, post: p.id, matter: m.id, .on} AS activity
ORDER BY a.on, a.id
