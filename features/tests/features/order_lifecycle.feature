Feature: Orders move after checkout
  An admin ships and then delivers an order; its shopper, or an admin, cancels it while it has not shipped, and
  its copies go back to stock, once. Every step is on the order's timeline, a move the order's status does not
  allow is refused saying where the order is, and shoppers and admins see the moves as they happen.

  @smoke
  Scenario: An order is shipped and delivered
    Given Ann has bought 1 copy of "Clean Code"
    When the admin ships Ann's last order with "DHL" and tracking number "DHL-123"
    Then Ann's last order is "SHIPPED", sent with "DHL" and tracking number "DHL-123"
    When the admin marks Ann's last order delivered
    Then Ann's last order's timeline reads "CONFIRMED, SHIPPED, DELIVERED"

  @smoke
  Scenario: Cancelling puts the copies back in stock
    Given the shop has a new book "Second Thoughts" with 5 copies
    And Ann has bought 2 copies of "Second Thoughts"
    When Ann cancels her last order
    Then Ann's last order is "CANCELLED"
    And "Second Thoughts" has 5 copies left and none reserved

  Scenario: A cancel sent twice gives the copies back once
    Given the shop has a new book "Double Cancel" with 5 copies
    And Ann has bought 2 copies of "Double Cancel"
    When Ann cancels her last order
    And Ann cancels her last order again
    Then the answer is the order, "CANCELLED", as it was
    And "Double Cancel" has 5 copies left and none reserved
    And Ann's last order's timeline reads "CONFIRMED, CANCELLED"

  Scenario: A shipped order cannot be cancelled
    Given Ann has bought 1 copy of "Clean Code"
    And the admin has shipped Ann's last order
    When Ann cancels her last order
    Then she is told the order is "SHIPPED" and can only become "DELIVERED"
    And Ann's last order is "SHIPPED"

  Scenario: An order ships before it is delivered
    Given Ann has bought 1 copy of "Clean Code"
    When the admin marks Ann's last order delivered
    Then they are told the order is "CONFIRMED" and can only become "SHIPPED or CANCELLED"

  Scenario: A cancelled order goes nowhere
    Given Ann has bought 1 copy of "Clean Code"
    And Ann has cancelled her last order
    When the admin ships Ann's last order with "DHL" and tracking number "DHL-9"
    Then they are told the order cannot move any more

  Scenario: An admin cancels with a reason the shopper reads
    Given the shop has a new book "Out Of Print" with 3 copies
    And Ann has bought 1 copy of "Out Of Print"
    When the admin cancels Ann's last order because "The last copy was damaged"
    Then Ann's last order's timeline reads "CONFIRMED, CANCELLED"
    And Ann reads "The last copy was damaged" on her last order's timeline, from the shop
    And "Out Of Print" has 3 copies left and none reserved

  Scenario: Someone else's order cannot be cancelled
    Given Ann has bought 1 copy of "Clean Code"
    When Bob tries to cancel Ann's last order
    Then they are told it was not found
    And Ann's last order is "CONFIRMED"

  Scenario: Orders by status
    Given Ann has bought 1 copy of "Clean Code"
    And Ann has bought 1 copy of "Learning Python"
    And Ann has cancelled her last order
    When Ann looks at her "CANCELLED" orders
    Then she sees 1 order of 1 in all
    When Ann looks at her "CONFIRMED" orders
    Then she sees 1 order of 1 in all

  Scenario: A status the shop does not know
    When Ann looks at her "LOST" orders
    Then the request is rejected as invalid, naming "status"

  Scenario: The shopper sees her order ship as it happens
    Given Ann has bought 1 copy of "Clean Code"
    And Ann is watching her last order
    When the admin ships Ann's last order with "UPS" and tracking number "1Z999"
    Then Ann is told at once that her order was shipped with "UPS"

  Scenario: Admins see every order move as it happens
    Given the admin is watching all orders
    And Ann has bought 1 copy of "Clean Code"
    When Ann cancels her last order
    Then the admin is told at once of Ann's last order: "order.created, order.cancelled"

  Scenario: No one watches another shopper's order
    Given Ann has bought 1 copy of "Clean Code"
    When Bob tries to watch Ann's last order
    Then they are told it was not found
