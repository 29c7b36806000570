// Chapters 2-3, statuses only (national art. 10, Chongqing art. 10): per
// institution of the given territories and period, and scope, the assessments
// by it whose period overlaps the given one and how many of them are recorded
// as used and as not used in the comprehensive appraisal.
// Params: $spans, a list of {territory, from, to} (ISO dates)
UNWIND $spans AS s
MATCH (t:Territory {id: s.territory})
WITH s, t, date(s.from) AS since, date(s.to) AS until
MATCH (t)<-[:IN_TERRITORY]-(o:Institution)<-[:ASSESSED_BY]-(a:Assessment)
WHERE a.period_from <= until AND a.period_to >= since
RETURN s.from AS from, o.id AS institution, a.scope AS scope, count(a) AS assessments,
       sum(CASE WHEN a.used_in_appraisal = true THEN 1 ELSE 0 END) AS used,
       sum(CASE WHEN a.used_in_appraisal = false THEN 1 ELSE 0 END) AS not_used
