// A territory and every territory below it. Params: $territory
MATCH (t:Territory)-[:PART_OF*0..8]->(:Territory {id: $territory})
RETURN t.id AS id
