// Inspections of a cadre (national art. 10 ¶2) with the petition departments'
// opinions heard. Params: $person
MATCH (:Person {id: $person})<-[:INSPECTS]-(ci:CadreInspection)
OPTIONAL MATCH (c:Consultation)-[:FOR_INSPECTION]->(ci)
RETURN ci {.*} AS inspection, collect(c {.*}) AS consultations
ORDER BY inspection.started_on
