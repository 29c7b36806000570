// The departments below an institution in its vertical management system. Params: $institution
MATCH vp = (:Institution {id: $institution})<-[:VERTICAL_LINE*1..6]-(d:Institution)
RETURN [n IN nodes(vp) | n {.*}] AS nodes, [r IN relationships(vp) | r {.*}] AS links
