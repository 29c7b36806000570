// Institutions of the given territories that can bear responsibility for a
// matter of $subject: the territory-wide organs of $kinds, and the working
// departments whose remit covers the subject. Params: $territories, $kinds, $subject
UNWIND $territories AS tid
MATCH (i:Institution)-[:IN_TERRITORY]->(:Territory {id: tid})
WHERE i.kind IN $kinds OR (i.kind = 'WORKING_DEPARTMENT' AND $subject IN i.remit)
RETURN tid AS territory, i {.*} AS institution
