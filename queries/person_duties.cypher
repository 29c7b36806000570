// A cadre's own petition work (national art. 4 ¶3; Chongqing art. 7): the
// records of a leader's activities, in the post recorded (an activity's
// references are its relationships). Params: $person
MATCH (:Person {id: $person})<-[:BY_LEADER]-(a:LeaderActivity)-[:AS_POST]->(p:Post)
OPTIONAL MATCH (a)-[:ACTIVITY_ON]->(m:PetitionMatter)
RETURN a {.*, person: $person, post: p.id, matter: m.id} AS activity
ORDER BY a.on, a.id
