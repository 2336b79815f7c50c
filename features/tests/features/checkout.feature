Feature: Checkout
  Checking out turns the cart into a confirmed order and takes the copies from stock exactly once. When it
  cannot, the shopper is told why and nothing is half done.

  @smoke
  Scenario: Buying what is in the cart
    Given Ann has 2 copies of "Clean Code" in her cart
    And Ann has 1 copy of "Learning Python" in her cart
    When Ann checks out
    Then Ann's order is confirmed with a total of 149.97
    And the order has 2 copies of "Clean Code" at 39.99 each
    And the order has 1 copy of "Learning Python" at 69.99 each
    And Ann's cart is empty

  Scenario: Checking out takes the copies from stock once
    Given the shop has a new book "Stock Once" at 12.50 with 10 copies
    And Ann has 3 copies of "Stock Once" in her cart
    When Ann checks out
    Then Ann's order is confirmed with a total of 37.50
    And "Stock Once" has 7 copies left and none reserved

  Scenario: Not enough copies in stock
    Given the shop has a new book "Common Print" with 5 copies
    And the shop has a new book "Rare Print" with 1 copy
    And Ann has 1 copy of "Common Print" in her cart
    And Ann has 2 copies of "Rare Print" in her cart
    When Ann checks out
    Then Ann is told there is not enough of "Rare Print": 2 wanted, 1 available
    And Ann has placed no order
    And Ann's cart has 2 lines
    And "Common Print" has 5 copies left and none reserved
    And "Rare Print" has 1 copy left and none reserved

  @smoke
  Scenario: An empty cart cannot be checked out
    When Ann checks out
    Then Ann is told her cart is empty
    And Ann has placed no order

  Scenario: Retrying a checkout with the same key returns the first order
    Given the shop has a new book "Retry Book" with 10 copies
    And Ann has 3 copies of "Retry Book" in her cart
    When Ann checks out with the key "retry-1"
    And Ann adds 1 copy of "Retry Book" to her cart
    And Ann checks out again with the key "retry-1"
    Then Ann gets the same order back, not a new one
    And Ann has placed 1 order
    And "Retry Book" has 7 copies left and none reserved

  Scenario: A new key makes a new order
    Given Ann has 1 copy of "Clean Code" in her cart
    When Ann checks out with the key "first"
    And Ann adds 1 copy of "Clean Code" to her cart
    And Ann checks out with the key "second"
    Then Ann has placed 2 orders

  Scenario: Retry keys belong to each shopper
    Given Ann has 1 copy of "Clean Code" in her cart
    And Bob has 1 copy of "Clean Code" in his cart
    When Ann checks out with the key "shared-key"
    And Bob checks out with the key "shared-key"
    Then Ann and Bob have different orders

  Scenario: A retry key longer than 64 characters is refused
    Given Ann has 1 copy of "Clean Code" in her cart
    When Ann checks out with a key of 65 characters
    Then the request is rejected as invalid, naming "Idempotency-Key"
    And Ann has placed no order

  Scenario Outline: <shoppers> shoppers race for the last <copies> copies
    Given the shop has a new book "Last Copies" with <copies> copies
    And <shoppers> shoppers each have 1 copy of "Last Copies" in their cart
    When they all check out at the same moment
    Then exactly <copies> of them get an order and <refused> are told there is not enough stock
    And "Last Copies" has 0 copies left and none reserved

    Examples:
      | shoppers | copies | refused |
      | 5        | 1      | 4       |
      | 20       | 3      | 17      |

  Scenario: An order keeps the price paid
    Given the shop has a new book "Price Watch" at 20.00 with 5 copies
    And Ann has bought 1 copy of "Price Watch"
    When the admin changes the price of "Price Watch" to 25.00
    Then Ann's order still shows 20.00 for "Price Watch"
    And a visitor finds "Price Watch" in the catalog at 25.00
