// How many institutions the graph holds (the nation's): the measure against
// which a territory's share decides which path a counting query takes.
MATCH (i:Institution)
RETURN count(i) AS institutions
