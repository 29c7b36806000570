// Institutions of the given territories that can bear responsibility for a
// matter of $subject: the territory-wide organs of $kinds, and the working
// departments whose remit covers the subject. Params: $territories, $kinds, $subject
// The WITH makes FalkorDB start from the territory's id index (otherwise it
// scans every Institution for each territory).
UNWIND $territories AS tid
MATCH (t:Territory {id: tid})
WITH tid, t
MATCH (i:Institution)-[:IN_TERRITORY]->(t)
WHERE i.kind IN $kinds OR (i.kind = 'WORKING_DEPARTMENT' AND $subject IN i.remit)
RETURN tid AS territory, i {.*} AS institution
