// The newest matters arising in any of $territories (a territory and those
// below it), received between $from and $to (each may be null), with their
// number of failures: from the territories along ARISES_IN, so the cost is
// the matters of those territories, not of the country.
// Params: $territories, $from, $to, $limit
MATCH (t:Territory) WHERE t.id IN $territories
WITH t
MATCH (t)<-[:ARISES_IN]-(m:PetitionMatter)
WHERE ($from IS NULL OR m.received_on >= date($from)) AND ($to IS NULL OR m.received_on <= date($to))
WITH m ORDER BY m.received_on DESC, m.id ASC LIMIT $limit
OPTIONAL MATCH (m)<-[:IN_MATTER]-(f:Failure)
WITH m, count(f) AS failures
RETURN m {.*} AS matter, failures
ORDER BY m.received_on DESC, m.id ASC
