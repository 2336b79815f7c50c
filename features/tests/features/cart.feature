Feature: The shopping cart
  A signed-in shopper collects books in a cart before checking out. Each shopper's cart is their own.

  @smoke
  Scenario: Adding a book puts it in the cart at its catalog price
    When Ann adds 2 copies of "Designing Data-Intensive Applications" to her cart
    Then the cart answers with the new line and where to find it
    And Ann's cart holds 2 copies of "Designing Data-Intensive Applications" at 59.99 each

  Scenario: A new shopper's cart is empty
    Then Ann's cart is empty

  Scenario: Adding a book already in the cart adds to the same line
    Given Ann has 2 copies of "Clean Code" in her cart
    When Ann adds 1 copy of "Clean Code" to her cart
    Then the cart answers that the line grew, not that a new one was made
    And Ann's cart has 1 line
    And Ann's cart holds 3 copies of "Clean Code"

  Scenario: Changing how many copies
    Given Ann has 1 copy of "Clean Code" in her cart
    When Ann changes "Clean Code" in her cart to 7 copies
    Then Ann's cart holds 7 copies of "Clean Code"

  Scenario: Removing a line keeps the others
    Given Ann has 1 copy of "Clean Code" in her cart
    And Ann has 1 copy of "The Pragmatic Programmer" in her cart
    When Ann removes "Clean Code" from her cart
    Then Ann's cart holds only "The Pragmatic Programmer"

  Scenario: A removed line cannot be removed twice
    Given Ann has 1 copy of "Clean Code" in her cart
    When Ann removes "Clean Code" from her cart
    And Ann tries to remove the same line again
    Then they are told it was not found

  Scenario: Carts are private
    Given Ann has 1 copy of "Clean Code" in her cart
    Then Bob's cart is empty

  Scenario: Another shopper's cart line is out of reach
    Given Ann has 1 copy of "Clean Code" in her cart
    When Bob tries to change Ann's "Clean Code" line to 5 copies
    Then they are told it was not found
    When Bob tries to remove Ann's "Clean Code" line
    Then they are told it was not found
    And Ann's cart holds 1 copy of "Clean Code"

  Scenario Outline: Adding <quantity> copies is refused
    When Ann tries to add <quantity> copies of "Clean Code" to her cart
    Then the request is rejected as invalid, naming "quantity"
    And Ann's cart is empty

    Examples:
      | quantity |
      | 0        |
      | -1       |
      | 100      |

  Scenario: A line cannot grow past 99 copies
    Given Ann has 98 copies of "Clean Code" in her cart
    When Ann tries to add 2 copies of "Clean Code" to her cart
    Then they are told the request conflicts with the current state
    And Ann's cart holds 98 copies of "Clean Code"

  Scenario: Changing a line to no copies is refused
    Given Ann has 3 copies of "Clean Code" in her cart
    When Ann changes "Clean Code" in her cart to 0 copies
    Then the request is rejected as invalid, naming "quantity"
    And Ann's cart holds 3 copies of "Clean Code"

  Scenario: A book that does not exist cannot be added
    When Ann tries to add a book that does not exist to her cart
    Then they are told it was not found
    And Ann's cart is empty

  Scenario Outline: A garbled addition is refused: <what>
    When Ann tries to add to her cart "<what>"
    Then the request is rejected as invalid, naming "<field>"

    Examples:
      | what                              | field    |
      | without saying which book         | bookId   |
      | with a garbled book reference     | bookId   |
      | with the quantity written in words | quantity |
