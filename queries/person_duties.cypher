// A cadre's own petition work (national art. 4 ¶3; Chongqing art. 7): the
// records of a leader's activities, in the post recorded. Params: $person
MATCH (:Person {id: $person})<-[:BY_LEADER]-(a:LeaderActivity)
RETURN a {.*} AS activity
ORDER BY a.on, a.id
