// Chapters 2-3, statuses only: per institution of the given territories and
// period (or year), the records a duty owed item by item or shown by any record
// counts: `what` names them, `items` counts them and `done` those that show the
// duty done. COORDINATION: leaders' coordinations (national art. 4 ¶3,
// Chongqing art. 7 (二)); HOLDING: matters held by its leadership-team posts'
// holders at some time in the year (Chongqing art. 7 (二)); LIST: its lists for
// classified handling in force at some time in the year (Chongqing art. 5 ¶1);
// DECISION: major decisions, done with a risk assessment on or before the
// decision (Chongqing art. 4 ¶1); INSPECTION: cadre inspections started, done
// with a petition department heard before they concluded (art. 10 ¶2);
// MEASURE: accountability measures decided, done when sent to an institution
// of the same territory (Chongqing art. 18); LEADER_REPORT: its staff's reports
// to leaders (Chongqing art. 8 (四)). The staff's collective and instructed
// matters, which walk the institutions' handling steps, are counted by
// compliance_status_collective and compliance_status_instructed (the same
// columns), so that the store can run the three at once.
// Params: $spans, a list of {territory, from, to} (ISO dates); $from, $to (the year)
// The far end of a relationship whose type names one kind of node only is
// left unlabelled: the embedded store checks a label it is given on every
// node it reaches (about a tenth of the query's CPU at SF 0.01).
UNWIND $spans AS s
MATCH (t:Territory {id: s.territory})
WITH s, t, date(s.from) AS since, date(s.to) AS until
MATCH (t)<-[:IN_TERRITORY]-(i:Institution)<-[:POST_AT]-()<-[:AS_POST]-(a)
WHERE a.kind = 'COORDINATION' AND a.on >= since AND a.on <= until
RETURN 'COORDINATION' AS what, s.from AS from, i.id AS institution, count(a) AS items, count(a) AS done
UNION ALL
UNWIND $spans AS s
MATCH (t:Territory {id: s.territory})
WITH s, t, date(s.from) AS since, date(s.to) AS until
MATCH (t)<-[:IN_TERRITORY]-(i:Institution)<-[:POST_AT]-(p:Post)<-[:HOLDS]-(:Person)-[c:HOLDS_CASE]->()
WHERE p.role <> 'STAFF' AND c.post = p.id AND c.valid_from <= date($to)
  AND (c.valid_to IS NULL OR c.valid_to >= date($from))
RETURN 'HOLDING' AS what, s.from AS from, i.id AS institution, count(c) AS items, count(c) AS done
UNION ALL
UNWIND $spans AS s
MATCH (t:Territory {id: s.territory})
WITH s, t, date(s.from) AS since, date(s.to) AS until
MATCH (t)<-[:IN_TERRITORY]-(i:Institution)<-[:LIST_OF]-(l:ClassificationList)
WHERE l.valid_from <= date($to) AND (l.valid_to IS NULL OR l.valid_to >= date($from))
RETURN 'LIST' AS what, s.from AS from, i.id AS institution, count(l) AS items, count(l) AS done
UNION ALL
UNWIND $spans AS s
MATCH (t:Territory {id: s.territory})
WITH s, t, date(s.from) AS since, date(s.to) AS until
MATCH (t)<-[:IN_TERRITORY]-(i:Institution)<-[:TEAM_OF]-(:LeadershipTeam)<-[:DECIDED_BY]-(d:Decision)
WHERE d.major = true AND d.on >= since AND d.on <= until
WITH s, i, d, size([(r:RiskAssessment)-[:ASSESSES_RISK_OF]->(d) WHERE r.on <= d.on | r]) AS before
RETURN 'DECISION' AS what, s.from AS from, i.id AS institution, count(d) AS items,
       sum(CASE WHEN before > 0 THEN 1 ELSE 0 END) AS done
UNION ALL
UNWIND $spans AS s
MATCH (t:Territory {id: s.territory})
WITH s, t, date(s.from) AS since, date(s.to) AS until
MATCH (t)<-[:IN_TERRITORY]-(i:Institution)<-[:INSPECTION_BY]-(ci:CadreInspection)
WHERE ci.started_on >= since AND ci.started_on <= until
WITH s, i, ci, size([(c:Consultation)-[:FOR_INSPECTION]->(ci) WHERE ci.concluded_on IS NULL
                     OR c.on <= ci.concluded_on | c]) AS heard
RETURN 'INSPECTION' AS what, s.from AS from, i.id AS institution, count(ci) AS items,
       sum(CASE WHEN heard > 0 THEN 1 ELSE 0 END) AS done
UNION ALL
UNWIND $spans AS s
MATCH (t:Territory {id: s.territory})
WITH s, t, date(s.from) AS since, date(s.to) AS until
MATCH (t)<-[:IN_TERRITORY]-(i:Institution)<-[:DECIDED_BY_ORGAN]-(m:AccountabilityMeasure)
WHERE m.decided_on >= since AND m.decided_on <= until
WITH s, i, m, size([(m)<-[:CIRCULATES]-(:Circulation)-[:CIRCULATED_TO]->(x:Institution)-[:IN_TERRITORY]->(t) | x])
     AS same_level
RETURN 'MEASURE' AS what, s.from AS from, i.id AS institution, count(m) AS items,
       sum(CASE WHEN same_level > 0 THEN 1 ELSE 0 END) AS done
UNION ALL
UNWIND $spans AS s
MATCH (t:Territory {id: s.territory})
WITH s, t, date(s.from) AS since, date(s.to) AS until
MATCH (t)<-[:IN_TERRITORY]-(i:Institution)<-[:REPORT_OF]-(r:StaffReport)
WHERE r.kind = 'LEADER_REPORT' AND r.on >= since AND r.on <= until
RETURN 'LEADER_REPORT' AS what, s.from AS from, i.id AS institution, count(r) AS items, count(r) AS done
