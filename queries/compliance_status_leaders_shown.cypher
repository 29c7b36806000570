// Chapters 2-3, statuses only (national art. 4 ¶3, Chongqing art. 7 (一)): per
// institution of the given territories and period, how many of its
// leadership-team tenures held at some time in the period show letters read
// (`reading`), a reception (`reception`), and a reception or a visit down
// (`reception_or_visit`) by the holder in the post in the period: one row per
// institution, to be added to those of compliance_status_leaders (the same
// columns). Params: $spans, a list of {territory, from, to}
// The far end of a relationship whose type names one kind of node only is
// left unlabelled: the embedded store checks a label it is given on every
// node it reaches (about a tenth of the query's CPU at SF 0.01).
UNWIND $spans AS s
MATCH (t:Territory {id: s.territory})
WITH s, t, date(s.from) AS since, date(s.to) AS until
MATCH (t)<-[:IN_TERRITORY]-(i:Institution)<-[:POST_AT]-(p:Post)<-[h:HOLDS]-(per)
WHERE p.role <> 'STAFF' AND h.valid_from <= until AND (h.valid_to IS NULL OR h.valid_to >= since)
MATCH (p)<-[:AS_POST]-(a)-[:BY_LEADER]->(per)
WHERE a.on >= since AND a.on <= until
RETURN s.from AS from, i.id AS institution, 0 AS leaders,
       count(DISTINCT CASE WHEN a.kind = 'READ_AND_INSTRUCT' THEN h END) AS reading,
       count(DISTINCT CASE WHEN a.kind = 'RECEPTION' THEN h END) AS reception,
       count(DISTINCT CASE WHEN a.kind IN ['RECEPTION', 'VISIT_DOWN'] THEN h END) AS reception_or_visit
