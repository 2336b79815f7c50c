Feature: Protection against forged requests
  Every change a signed-in person makes carries a form token of theirs. A change without it, with someone else's,
  or with one already used, is refused and changes nothing. A form token works once: the answer to every change
  hands out the next one, and a refusal hands out one to try again with. Reading needs no form token.

  @smoke
  Scenario: A change with the form token goes through
    When Ann adds 1 copy of "Clean Code" to her cart
    Then Ann's cart holds 1 copy of "Clean Code"

  Scenario: A change without the form token is refused
    When Ann adds 1 copy of "Clean Code" to her cart without the form token
    Then they are refused
    And Ann's cart is empty

  Scenario: A made-up form token is refused
    When Ann adds 1 copy of "Clean Code" to her cart with a made-up form token
    Then they are refused
    And Ann's cart is empty

  Scenario: Someone else's form token is refused
    When Ann adds 1 copy of "Clean Code" to her cart with Bob's form token
    Then they are refused
    And Ann's cart is empty

  Scenario: A form token works once
    When Ann adds 1 copy of "Clean Code" to her cart with a form token she already used
    Then they are refused
    And Ann's cart holds 1 copy of "Clean Code"

  @smoke
  Scenario: A refused change hands out a form token to try again with
    When Ann adds 1 copy of "Clean Code" to her cart with a made-up form token
    Then they are refused
    When Ann adds 1 copy of "Clean Code" to her cart with the form token the refusal handed her
    Then Ann's cart holds 1 copy of "Clean Code"

  Scenario: Reading needs no form token
    Given Ann has 1 copy of "Clean Code" in her cart
    When Ann looks at her cart without the form token
    Then they are let in

  Scenario Outline: Without the form token a shopper cannot <action>
    When Ann tries to <action> without the form token
    Then they are refused

    Examples:
      | action                   |
      | add a book to their cart |
      | change a cart line       |
      | remove a cart line       |
      | check out                |

  Scenario Outline: Without the form token an admin cannot <action>
    When the admin tries to <action> without the form token
    Then they are refused
    And a visitor finds "Clean Code" in the catalog at 39.99

    Examples:
      | action                    |
      | add a book to the catalog |
      | edit a book               |
      | delete a book             |
      | set a book's stock        |
      | adjust a book's stock     |

  Scenario: Only a signed-in person gets a form token
    When a visitor who has not signed in asks for a form token
    Then they are asked to sign in
