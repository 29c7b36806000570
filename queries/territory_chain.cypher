// A territory and its ancestors up to the nation, nearest first. Params: $territory
MATCH p = (:Territory {id: $territory})-[:PART_OF*0..8]->(t:Territory)
RETURN t {.*} AS territory, length(p) AS depth
ORDER BY depth
