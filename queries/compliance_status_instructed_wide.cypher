// Chapters 2-3, statuses only (Chongqing art. 8 (二)): the rows of
// compliance_status_instructed (the same columns, the same counts), found from
// the year's instructions that name a matter rather than from every handling
// step of every year of the territories' institutions: the cheaper path when
// the territories hold a large share of the nation's institutions (a
// province's answer), the dearer one for a county's. Per institution of the
// given territories and period, the matters a leader instructed (批办) first in
// the period (the first instruction of the year after which the institution
// handled the matter), and those with a handling report by its staff on or
// after that instruction.
// The year's bounds are dates once, before the scan: `date($from)` in the
// scan's filter was worked out again for every activity of the nation (a
// third of the query's CPU on the embedded store at SF 0.01).
// Params: $periods, a map of territory id to its list of {from, to} (ISO
// dates); $from, $to (the year)
WITH date($from) AS first, date($to) AS last
MATCH (a:LeaderActivity)-[:ACTIVITY_ON]->(m:PetitionMatter)
WHERE a.kind = 'READ_AND_INSTRUCT' AND a.on >= first AND a.on <= last
MATCH (m)<-[:STEP_OF]-(x:HandlingStep)-[:BY_INSTITUTION]->(i:Institution)-[:IN_TERRITORY]->(t:Territory)
WHERE x.kind = 'HANDLE' AND x.on >= a.on
WITH t, i, m, min(a.on) AS instructed
UNWIND $periods[t.id] AS s
WITH s, i, m, instructed
WHERE instructed >= date(s.from) AND instructed <= date(s.to)
WITH s, i, m, size([(r:StaffReport)-[:REPORT_ON]->(m) WHERE r.institution = i.id AND r.kind = 'HANDLING_REPORT'
                    AND r.on >= instructed | r]) AS reports
RETURN 'INSTRUCTED' AS what, s.from AS from, i.id AS institution, count(m) AS items,
       sum(CASE WHEN reports > 0 THEN 1 ELSE 0 END) AS done
