// Chapters 2-3, statuses only (Chongqing art. 8 (三)), the COLLECTIVE rows of
// compliance_status_items (its columns): per institution of the given
// territories and period, the collective matters it received (a matter and a
// date each) and those with an incident report by its staff.
// Params: $spans, a list of {territory, from, to} (ISO dates)
UNWIND $spans AS s
MATCH (t:Territory {id: s.territory})
WITH s, t, date(s.from) AS since, date(s.to) AS until
MATCH (t)<-[:IN_TERRITORY]-(i:Institution)<-[:BY_INSTITUTION]-(x:HandlingStep)-[:STEP_OF]->(m:PetitionMatter)
WHERE x.kind = 'RECEIVE' AND m.form = 'COLLECTIVE' AND x.on >= since AND x.on <= until
WITH DISTINCT s, i, m, x.on AS received
WITH s, i, m, size([(r:StaffReport)-[:REPORT_ON]->(m) WHERE r.institution = i.id AND r.kind = 'INCIDENT_REPORT' | r])
     AS reports
RETURN 'COLLECTIVE' AS what, s.from AS from, i.id AS institution, count(m) AS items,
       sum(CASE WHEN reports > 0 THEN 1 ELSE 0 END) AS done
