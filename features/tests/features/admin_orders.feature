Feature: Seeing every order
  Admins see all shoppers' orders, with who placed them and what they paid.

  @smoke
  Scenario: An order with its lines and its shopper
    Given Bob has bought 2 copies of "Clean Code"
    When the admin opens Bob's last order
    Then the admin sees it was placed by Bob, with 2 copies of "Clean Code" at 39.99 and a total of 79.98

  Scenario: Recent orders of every shopper
    Given Ann has bought 1 copy of "The Pragmatic Programmer"
    And Bob has bought 1 copy of "Domain-Driven Design"
    Then the admin's list of recent orders includes Ann's and Bob's

  Scenario: An order that does not exist
    When the admin opens an order that does not exist
    Then they are told it was not found
