// Full-text search of one kind of node (see zeren.graph.search): the nodes of
// $label whose search_text matches $text, best first. FalkorDB: one index per
// label. Params: $label, $text, $limit
CALL db.idx.fulltext.queryNodes($label, $text) YIELD node, score
RETURN node.id AS id, coalesce(node.title, node.name) AS name, score,
       node.received_on AS received_on, node.territory AS territory, node.level AS level
ORDER BY score DESC, id
LIMIT $limit
