// Chapters 2-3, statuses only (Chongqing art. 8 (二)), the INSTRUCTED rows of
// compliance_status_items (its columns): per institution of the given
// territories and period, the matters a leader instructed (批办) first in the
// period (the first instruction of the year after which the institution
// handled the matter), and those with a handling report by its staff on or
// after that instruction.
// Params: $spans, a list of {territory, from, to} (ISO dates); $from, $to (the year)
UNWIND $spans AS s
MATCH (t:Territory {id: s.territory})
WITH s, t, date(s.from) AS since, date(s.to) AS until
MATCH (t)<-[:IN_TERRITORY]-(i:Institution)<-[:BY_INSTITUTION]-(x:HandlingStep)-[:STEP_OF]->(m:PetitionMatter)
      <-[:ACTIVITY_ON]-(a:LeaderActivity)
WHERE x.kind = 'HANDLE' AND a.kind = 'READ_AND_INSTRUCT' AND a.on >= date($from) AND a.on <= date($to)
  AND x.on >= a.on
WITH s, since, until, i, m, min(a.on) AS instructed
WHERE instructed >= since AND instructed <= until
WITH s, i, m, size([(r:StaffReport)-[:REPORT_ON]->(m) WHERE r.institution = i.id AND r.kind = 'HANDLING_REPORT'
                    AND r.on >= instructed | r]) AS reports
RETURN 'INSTRUCTED' AS what, s.from AS from, i.id AS institution, count(m) AS items,
       sum(CASE WHEN reports > 0 THEN 1 ELSE 0 END) AS done
