export const typeDefs = /* GraphQL */ `
type Territory @node {
  id: ID!
  name: String
  level: String
  parent: [Territory!]! @relationship(type: "PART_OF", direction: OUT)
  institutions: [Institution!]! @relationship(type: "IN_TERRITORY", direction: IN)
}
type Institution @node {
  id: ID!
  name: String
  kind: String
  level: String
  remit: [String!]
  system: String
  territory: [Territory!]! @relationship(type: "IN_TERRITORY", direction: OUT)
  posts: [Post!]! @relationship(type: "POST_AT", direction: IN)
  verticalUp: [Institution!]! @relationship(type: "VERTICAL_LINE", direction: OUT, properties: "VerticalLine")
}
type VerticalLine @relationshipProperties {
  system: String
  valid_from: Date
  valid_to: Date
}
type Post @node {
  id: ID!
  title: String
  role: String
  rank: Int
  holders: [Person!]! @relationship(type: "HOLDS", direction: IN, properties: "Tenure")
  divisions: [Division!]! @relationship(type: "DIVISION_OF", direction: IN)
}
type Tenure @relationshipProperties {
  valid_from: Date
  valid_to: Date
}
type Person @node {
  id: ID!
  name: String
}
type Division @node {
  id: ID!
  subjects: [String!]
  valid_from: Date
  valid_to: Date
}
type PetitionMatter @node {
  id: ID!
  title: String
  subject: String
  received_on: Date
  territory: [Territory!]! @relationship(type: "ARISES_IN", direction: OUT)
}
`;
