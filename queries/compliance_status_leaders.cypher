// Chapters 2-3, statuses only (national art. 4 ¶3, Chongqing art. 7 (一)): per
// institution of the given territories and period, its leadership-team tenures
// held at some time in the period (`leaders`): one row per institution, to be
// added to those of compliance_status_leaders_shown (the same columns).
// Params: $spans, a list of {territory, from, to}
// The far end of a relationship whose type names one kind of node only is
// left unlabelled: the embedded store checks a label it is given on every
// node it reaches (about a tenth of the query's CPU at SF 0.01).
UNWIND $spans AS s
MATCH (t:Territory {id: s.territory})
WITH s, t, date(s.from) AS since, date(s.to) AS until
MATCH (t)<-[:IN_TERRITORY]-(i:Institution)<-[:POST_AT]-(p:Post)<-[h:HOLDS]-()
WHERE p.role <> 'STAFF' AND h.valid_from <= until AND (h.valid_to IS NULL OR h.valid_to >= since)
RETURN s.from AS from, i.id AS institution, count(h) AS leaders, 0 AS reading, 0 AS reception,
       0 AS reception_or_visit
