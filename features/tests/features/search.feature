Feature: Searching the catalog
  Visitors search by title, author, genre or ISBN; case does not matter.

  @smoke
  Scenario: Finding a book by its author
    When a visitor searches for "kleppmann"
    Then they find exactly: "Designing Data-Intensive Applications"

  Scenario Outline: Searching for "<query>"
    When a visitor searches for "<query>"
    Then they find exactly: "<titles>"

    Examples:
      | query          | titles                                              |
      | KAFKA          | Kafka: The Definitive Guide                         |
      | clean code     | Clean Code                                          |
      | Mark Lutz      | Learning Python                                     |
      | devops         | Kubernetes in Action \| Site Reliability Engineering |
      | 978-0132350884 | Clean Code                                          |
      | 9781449373320  | Designing Data-Intensive Applications               |

  Scenario: Search results come in pages
    When a visitor searches for "devops", 1 result per page
    Then they see 1 of 2 matching books

  Scenario Outline: Wildcard characters are taken literally: <query>
    When a visitor searches for "<query>"
    Then they find nothing

    Examples:
      | query |
      | %     |
      | _     |

  Scenario: Nothing matches
    When a visitor searches for "cookbook for dragons"
    Then they find nothing

  Scenario: An empty search
    When a visitor searches for ""
    Then the request is rejected as invalid, naming "q"

  Scenario: A search text longer than 200 characters
    When a visitor searches for a 201-character text
    Then the request is rejected as invalid, naming "q"
