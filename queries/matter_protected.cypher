// The protected fields of one matter (ciphertext only; decrypted by the
// service for entitled roles). Params: $matter
MATCH (m:PetitionMatter {id: $matter})
RETURN m.petitioner_enc AS petitioner_enc, m.accusation_enc AS accusation_enc
