// Chapters 2-3, statuses only: the duties held complete by each ledger of a
// year kept by institutions of the given territories. Params: $territories, $year
UNWIND $territories AS tid
MATCH (t:Territory {id: tid})
WITH t
MATCH (t)<-[:IN_TERRITORY]-(o:Institution)<-[:LEDGER_OF]-(l:Ledger)
WHERE l.year = $year
RETURN o.id AS institution, l.duties AS duties
