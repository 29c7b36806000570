// Full-text search of one kind of node (see zeren.graph.search): the nodes of
// $label whose search_text matches $text, best first. Neo4j: one index over
// the four searched labels. Params: $label, $text, $limit
CALL db.index.fulltext.queryNodes('zeren_search', $text) YIELD node, score
WHERE $label IN labels(node)
RETURN node.id AS id, coalesce(node.title, node.name) AS name, score,
       node.received_on AS received_on, node.territory AS territory, node.level AS level
ORDER BY score DESC, id
LIMIT $limit
