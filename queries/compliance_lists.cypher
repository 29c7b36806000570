// Chapters 2-3 (Chongqing art. 5 ¶1): departments' lists for classified
// handling of petitions valid at some time in the period. Params: $territories, $from, $to
UNWIND $territories AS tid
MATCH (t:Territory {id: tid})
WITH t
MATCH (t)<-[:IN_TERRITORY]-(i:Institution)<-[:LIST_OF]-(c:ClassificationList)
WHERE c.valid_from <= date($to) AND (c.valid_to IS NULL OR c.valid_to >= date($from))
RETURN i.id AS institution, c {.*} AS list
