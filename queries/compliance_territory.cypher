// Chapters 2-3: a territory with its parent and its institutions with the
// fields the units show, and the territories directly below it without theirs
// (the units of one territory's own compliance answer). Params: $territory
MATCH (t:Territory {id: $territory})
OPTIONAL MATCH (t)-[:PART_OF]->(up:Territory)
WITH t, up
OPTIONAL MATCH (i:Institution)-[:IN_TERRITORY]->(t)
RETURN t {.*} AS territory, up.id AS parent, collect(i {.id, .name, .kind, .system}) AS institutions
UNION ALL
MATCH (c:Territory)-[:PART_OF]->(:Territory {id: $territory})
RETURN c {.*} AS territory, $territory AS parent, [] AS institutions
