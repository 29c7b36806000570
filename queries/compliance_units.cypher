// Chapters 2-3: a territory and every territory below it, each with its parent
// and its institutions with the fields the units show (the regions, departments
// and systems of a compliance answer). Params: $territory
MATCH (t:Territory)-[:PART_OF*0..8]->(:Territory {id: $territory})
OPTIONAL MATCH (t)-[:PART_OF]->(up:Territory)
WITH t, up
OPTIONAL MATCH (i:Institution)-[:IN_TERRITORY]->(t)
RETURN t {.*} AS territory, up.id AS parent, collect(i {.id, .name, .kind, .system}) AS institutions
