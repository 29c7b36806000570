// Failures that may engage a person: of units whose leadership team the person
// sat on at the act date, naming the person, or with a measure against the
// person. Params: $person
MATCH (:Person {id: $person})-[h:HOLDS]->(p:Post)-[:POST_AT]->(:Institution)<-[:FAILURE_OF]-(f:Failure)
WHERE p.role <> 'STAFF' AND h.valid_from <= f.act_date AND (h.valid_to IS NULL OR h.valid_to >= f.act_date)
RETURN f.id AS failure
UNION
MATCH (:Person {id: $person})-[:INVOLVED_IN]->(f:Failure)
RETURN f.id AS failure
UNION
MATCH (:Person {id: $person})<-[:AGAINST_PERSON]-(:AccountabilityMeasure)-[:FOR_FAILURE]->(f:Failure)
RETURN f.id AS failure
