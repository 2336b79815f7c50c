Feature: Order history
  A shopper sees their own orders, newest first, and no one else's.

  @smoke
  Scenario: A new shopper has no orders
    When Ann looks at her orders
    Then she sees 0 orders of 0 in all

  Scenario: Orders are listed newest first
    Given Ann has bought 1 copy of "Clean Code"
    And Ann has bought 1 copy of "Domain-Driven Design"
    When Ann looks at her orders
    Then she sees 2 orders of 2 in all
    And the newest order, with "Domain-Driven Design", comes first

  Scenario: Opening an order
    Given Ann has bought 2 copies of "Microservices Patterns"
    When Ann opens her last order
    Then she sees the order with a total of 89.98 and status "CONFIRMED"

  Scenario: Order history comes in pages
    Given Ann has bought 1 copy of "Clean Code"
    And Ann has bought 1 copy of "Spring in Action"
    And Ann has bought 1 copy of "Kubernetes in Action"
    When Ann looks at her orders 2 per page
    Then she sees 2 orders of 3 in all

  Scenario: Someone else's order is out of reach
    Given Ann has bought 1 copy of "Clean Code"
    When Bob tries to open Ann's last order
    Then they are told it was not found
    When Bob looks at his orders
    Then he sees 0 orders of 0 in all

  Scenario: An order that does not exist
    When Ann tries to open an order that does not exist
    Then they are told it was not found

  Scenario: A malformed order reference
    When Ann tries to open the order "last-tuesday"
    Then the request is rejected as invalid, naming "id"
