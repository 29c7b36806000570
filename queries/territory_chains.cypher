// Each given territory's chain: itself and its ancestors up to the nation,
// nearest first, one row per ancestor. Params: $territories
UNWIND $territories AS tid
MATCH p = (:Territory {id: tid})-[:PART_OF*0..8]->(t:Territory)
RETURN tid AS territory, t.id AS ancestor, length(p) AS depth
ORDER BY territory, depth
