// Chapters 2-3, statuses only (Chongqing art. 8 (三)): the rows of
// compliance_status_collective (the same columns, the same counts), found from
// the nation's collective matters and their receipts in the year rather than
// from every handling step of every year of the territories' institutions: the
// cheaper path when the territories hold a large share of the nation's
// institutions (a province's answer). Per institution of the given territories
// and period, the collective matters it received (a matter and a date each)
// and those with an incident report by its staff. The `WITH m` keeps the
// matters first: without it the embedded store's planner scanned every
// handling step of the nation (three times the CPU at SF 0.01).
// Params: $periods, a map of territory id to its list of {from, to} (ISO
// dates); $from, $to (the year)
MATCH (m:PetitionMatter)
WHERE m.form = 'COLLECTIVE'
WITH m
MATCH (m)<-[:STEP_OF]-(x:HandlingStep)-[:BY_INSTITUTION]->(i:Institution)-[:IN_TERRITORY]->(t:Territory)
WHERE x.kind = 'RECEIVE' AND x.on >= date($from) AND x.on <= date($to)
UNWIND $periods[t.id] AS s
WITH s, i, m, x
WHERE x.on >= date(s.from) AND x.on <= date(s.to)
WITH DISTINCT s, i, m, x.on AS received
WITH s, i, m, size([(r:StaffReport)-[:REPORT_ON]->(m) WHERE r.institution = i.id AND r.kind = 'INCIDENT_REPORT' | r])
     AS reports
RETURN 'COLLECTIVE' AS what, s.from AS from, i.id AS institution, count(m) AS items,
       sum(CASE WHEN reports > 0 THEN 1 ELSE 0 END) AS done
