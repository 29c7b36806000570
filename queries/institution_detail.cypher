// An institution with its territory, parent and sub-institutions. Params: $institution
MATCH (i:Institution {id: $institution})-[:IN_TERRITORY]->(t:Territory)
OPTIONAL MATCH (i)-[:UNDER]->(parent:Institution)
WITH i, t, parent
OPTIONAL MATCH (sub:Institution)-[:UNDER]->(i)
RETURN i {.*} AS institution, t {.*} AS territory, parent {.*} AS parent, collect(sub {.*}) AS subs
