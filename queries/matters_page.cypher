// A page of matters, newest first, with filters (each may be null) and a
// keyset cursor ($after_date, $after_id). $territories: the territory and all
// its descendants (null: anywhere). Params: $territories, $subject, $channel,
// $form, $from, $to, $has_failure, $after_date, $after_id, $limit
MATCH (m:PetitionMatter)
WHERE ($territories IS NULL OR m.territory IN $territories)
  AND ($subject IS NULL OR m.subject = $subject)
  AND ($channel IS NULL OR m.channel = $channel)
  AND ($form IS NULL OR m.form = $form)
  AND ($from IS NULL OR m.received_on >= date($from))
  AND ($to IS NULL OR m.received_on <= date($to))
  AND ($after_date IS NULL OR m.received_on < date($after_date)
       OR (m.received_on = date($after_date) AND m.id > $after_id))
OPTIONAL MATCH (m)<-[:IN_MATTER]-(f:Failure)
WITH m, count(f) AS failures
WHERE $has_failure IS NULL OR ($has_failure = true AND failures > 0) OR ($has_failure = false AND failures = 0)
RETURN m {.*} AS matter, failures
ORDER BY m.received_on DESC, m.id ASC
LIMIT $limit
