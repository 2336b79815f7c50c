Feature: Managing stock
  Admins set how many copies are in stock or adjust it by a number; stock never goes below zero and never below
  what checkouts have reserved.

  @smoke
  Scenario: Setting the stock
    Given the shop has a new book "Restock" with 2 copies
    When the admin sets the stock of "Restock" to 20
    Then the admin sees 20 copies, 0 reserved and 20 available
    And a visitor sees 20 copies of "Restock" available

  Scenario Outline: Adjusting <start> copies by <delta>
    Given the shop has a new book "Adjustable" with <start> copies
    When the admin adjusts the stock of "Adjustable" by <delta>
    Then the admin sees <result> copies, 0 reserved and <result> available

    Examples:
      | start | delta | result |
      | 10    | 5     | 15     |
      | 10    | -3    | 7      |
      | 10    | -10   | 0      |
      | 0     | 4     | 4      |

  Scenario: An adjustment cannot take stock below zero
    Given the shop has a new book "Scarce" with 3 copies
    When the admin adjusts the stock of "Scarce" by -4
    Then the admin is told stock cannot go below zero
    And a visitor sees 3 copies of "Scarce" available

  Scenario: Stock cannot be set below zero
    Given the shop has a new book "Never Negative" with 3 copies
    When the admin sets the stock of "Never Negative" to -1
    Then the request is rejected as invalid, naming "quantity"
    And a visitor sees 3 copies of "Never Negative" available

  Scenario: Setting the stock of a book that does not exist
    When the admin sets the stock of a book that does not exist
    Then they are told it was not found

  Scenario: The stock list comes in pages
    When the admin lists the stock 3 books per page
    Then the admin sees 3 stock lines of at least 10
