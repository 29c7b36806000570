// Chapters 2-3, statuses only (national art. 9, Chongqing art. 9): per
// institution of the given territories and period, kind and scope, the
// supervisions it started in the period and how many of them are recorded as
// circulated and as not circulated.
// Params: $spans, a list of {territory, from, to} (ISO dates)
UNWIND $spans AS s
MATCH (t:Territory {id: s.territory})
WITH s, t, date(s.from) AS since, date(s.to) AS until
MATCH (t)<-[:IN_TERRITORY]-(o:Institution)<-[:SUPERVISION_BY]-(x:Supervision)
WHERE x.started_on >= since AND x.started_on <= until
RETURN s.from AS from, o.id AS institution, x.kind AS kind, x.scope AS scope, count(x) AS supervisions,
       sum(CASE WHEN x.circulated = true THEN 1 ELSE 0 END) AS circulated,
       sum(CASE WHEN x.circulated = false THEN 1 ELSE 0 END) AS not_circulated
